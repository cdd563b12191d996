package io.walstash.core.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Core's package structure: layered without cycles, blind to the CLI and the adapters. */
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
}
