package io.walstash.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The bom is only useful if it is complete: a module added to the reactor but forgotten here would
 * make an application that imports the bom fall back to naming a version (or fail to resolve).
 * Reads the reactor's poms as they are on disk, so a new module fails this test until it is listed.
 */
class BomListsEveryModuleTest {

    /** Modules that are built but not published as something an application depends on. */
    private static final Set<String> NOT_PUBLISHED = Set.of("bom", "examples");

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void everyPublishedModuleAndTestJarIsInTheBomAndNothingElse() throws Exception {
        Set<String> expected = new TreeSet<>();
        for (String module : children(pom(ROOT.resolve("pom.xml")).getDocumentElement(), "modules", "module")) {
            if (NOT_PUBLISHED.contains(module)) {
                continue;
            }
            Document modulePom = pom(ROOT.resolve(module).resolve("pom.xml"));
            String artifactId = text(modulePom.getDocumentElement(), "artifactId");
            expected.add(artifactId + ":jar");
            // A module that attaches a test-jar publishes it (plugin authors reuse the contract tests).
            if (Files.readString(ROOT.resolve(module).resolve("pom.xml")).contains("<goal>test-jar</goal>")) {
                expected.add(artifactId + ":test-jar");
            }
        }
        assertThat(expected).contains("walstash-core:jar", "walstash-core:test-jar", "walstash-cli:jar");

        assertThat(managed(pom(ROOT.resolve("bom/pom.xml")))).isEqualTo(expected);
    }

    @Test
    void theBomHasTheReactorsVersionAndManagesOnlyWalstashArtifactsAtThatVersion() throws Exception {
        Element parent = pom(ROOT.resolve("pom.xml")).getDocumentElement();
        Element bom = pom(ROOT.resolve("bom/pom.xml")).getDocumentElement();
        assertThat(text(bom, "version")).isEqualTo(text(parent, "version"));
        assertThat(text(bom, "groupId")).isEqualTo(text(parent, "groupId"));
        // No parent: importing the bom must not import the parent's third-party pins.
        assertThat(bom.getElementsByTagName("parent").getLength()).isZero();
        for (Element dependency : dependencies(bom)) {
            assertThat(text(dependency, "groupId")).isEqualTo("io.walstash");
            assertThat(text(dependency, "version")).isEqualTo("${project.version}");
        }
    }

    @Test
    void examplesImportTheBomAndNameNoWalstashVersion() throws Exception {
        Element examples = pom(ROOT.resolve("examples/pom.xml")).getDocumentElement();
        List<Element> imports = new ArrayList<>();
        for (Element dependency : dependencies(examples)) {
            if (!"io.walstash".equals(text(dependency, "groupId"))) {
                continue;
            }
            if ("walstash-bom".equals(text(dependency, "artifactId"))) {
                assertThat(text(dependency, "scope")).isEqualTo("import");
                imports.add(dependency);
            } else {
                assertThat(text(dependency, "version"))
                        .as("version of %s", text(dependency, "artifactId"))
                        .isNull();
            }
        }
        assertThat(imports).hasSize(1);
    }

    private static Set<String> managed(Document bom) {
        Set<String> managed = new TreeSet<>();
        for (Element dependency : dependencies(bom.getDocumentElement())) {
            String type = text(dependency, "type");
            managed.add(text(dependency, "artifactId") + ":" + (type == null ? "jar" : type));
        }
        return managed;
    }

    private static List<Element> dependencies(Element project) {
        List<Element> all = new ArrayList<>();
        var nodes = project.getElementsByTagName("dependency");
        for (int i = 0; i < nodes.getLength(); i++) {
            all.add((Element) nodes.item(i));
        }
        return all;
    }

    private static List<String> children(Element root, String list, String item) {
        List<String> values = new ArrayList<>();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(list)) {
                var items = e.getElementsByTagName(item);
                for (int i = 0; i < items.getLength(); i++) {
                    values.add(items.item(i).getTextContent().trim());
                }
            }
        }
        return values;
    }

    /** The text of a direct child element, or null when there is none. */
    private static String text(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().trim();
            }
        }
        return null;
    }

    private static Document pom(Path file) throws Exception {
        var factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(file.toFile());
    }
}
