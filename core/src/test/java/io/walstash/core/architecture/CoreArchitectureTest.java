package io.walstash.core.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.walstash.core.storage.Storage;
import org.junit.jupiter.api.Test;

/**
 * Core's package structure: layered without cycles, blind to the CLI and the adapters, and with one
 * reader of the repository's keys.
 */
class CoreArchitectureTest {

    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.walstash.core");

    @Test
    void corePackagesAreFreeOfCycles() {
        slices().matching("io.walstash.core.(*)..").should().beFreeOfCycles().check(CORE);
    }

    @Test
    void coreKnowsNoCliAndNoAdapter() {
        noClasses().that().resideInAPackage("io.walstash.core..")
                .should().dependOnClassesThat().resideInAnyPackage("io.walstash.cli..", "io.walstash.storage..",
                        "io.walstash.compression..", "io.walstash.examples..", "io.walstash.bench..")
                .check(CORE);
    }

    /**
     * What a repository holds is read from listings, and only {@code repository} lists: every other
     * package asks it for the WAL index or the backup folders, so no second reading of the layout
     * can creep in. Storage decorators (which forward {@code list}) are exempt.
     */
    @Test
    void onlyTheRepositoryPackageListsStorage() {
        // check's probe lists only the probe object it wrote: it reads no layout
        noClasses().that().resideOutsideOfPackages("io.walstash.core.repository", "io.walstash.core.storage")
                .and().doNotImplement(Storage.class)
                .and().doNotHaveFullyQualifiedName("io.walstash.core.check.StorageCheck")
                .should().callMethod(Storage.class, "list", String.class)
                .because("the repository's layout is read in one place, io.walstash.core.repository")
                .check(CORE);
    }
}
