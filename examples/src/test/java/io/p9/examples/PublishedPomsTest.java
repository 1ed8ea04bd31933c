package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The POMs that {@code mvn deploy} publishes have what Maven Central asks of them that p9 can give (licence,
 * developers, name, description; README, "Publishing", says what is still missing).
 */
class PublishedPomsTest {

  private static Element pom(String module) throws Exception {
    Path file = Fixtures.repoRoot().resolve(module).resolve("pom.xml");
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile()).getDocumentElement();
  }

  /** The child elements named {@code name}. */
  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && name.equals(e.getTagName())) {
        out.add(e);
      }
    }
    return out;
  }

  /** The text of the element at {@code path} (child names) below {@code e}, or null where there is none. */
  private static String text(Element e, String... path) {
    Element at = e;
    for (String name : path) {
      List<Element> c = children(at, name);
      if (c.isEmpty()) {
        return null;
      }
      at = c.get(0);
    }
    return at.getTextContent().strip();
  }

  @Test
  void theParentDeclaresTheLicenceAndTheDevelopers() throws Exception {
    Element parent = pom(".");
    assertThat(text(parent, "licenses", "license", "name")).isEqualTo("Apache-2.0");
    assertThat(text(parent, "licenses", "license", "url")).isEqualTo("https://www.apache.org/licenses/LICENSE-2.0.txt");
    assertThat(text(parent, "licenses", "license", "distribution")).isEqualTo("repo");
    assertThat(text(parent, "developers", "developer", "name")).isEqualTo("the p9 authors");
  }

  @Test
  void theLibraryModulesHaveANameAndADescription() throws Exception {
    for (String module : List.of(".", "p9-core", "p9-spark-ml", "p9-aws")) {
      Element pom = pom(module);
      assertThat(text(pom, "name")).as("%s's name", module).isNotBlank();
      assertThat(text(pom, "description")).as("%s's description", module).isNotBlank();
      assertThat(text(pom, "properties", "maven.deploy.skip")).as("%s's maven.deploy.skip", module).isNull();
    }
  }

  /** The example app (and its job jar), the benchmarks and the compat tests are no library: never deployed. */
  @Test
  void theOtherModulesAreNotDeployed() throws Exception {
    for (String module : List.of("examples", "benchmarks", "compat")) {
      assertThat(text(pom(module), "properties", "maven.deploy.skip")).as("%s's maven.deploy.skip", module)
          .isEqualTo("true");
    }
    for (String module : List.of("compat/spark-3.5.0", "compat/hadoop-3.4")) {
      assertThat(text(pom(module), "parent", "artifactId")).as("%s's parent", module).isEqualTo("p9-compat");
    }
  }
}
