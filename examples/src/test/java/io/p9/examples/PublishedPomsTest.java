package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * The POMs that {@code mvn deploy} publishes have what Maven Central asks of them that p9 can give (licence,
 * developers, name, description; README, "Publishing", says what is still missing).
 */
class PublishedPomsTest {

  /** The text of {@code path} (an XPath below {@code project}) in {@code module}'s POM; "" where there is none. */
  private static String text(String module, String path) throws Exception {
    Path file = Fixtures.repoRoot().resolve(module).resolve("pom.xml");
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    return XPathFactory.newInstance().newXPath().evaluate("/project/" + path, pom).strip();
  }

  @Test
  void theParentDeclaresTheLicenceAndTheDevelopers() throws Exception {
    assertThat(text(".", "licenses/license/name")).isEqualTo("Apache-2.0");
    assertThat(text(".", "licenses/license/url")).isEqualTo("https://www.apache.org/licenses/LICENSE-2.0.txt");
    assertThat(text(".", "licenses/license/distribution")).isEqualTo("repo");
    assertThat(text(".", "developers/developer/name")).isEqualTo("the p9 authors");
  }

  @Test
  void theLibraryModulesHaveANameAndADescription() throws Exception {
    for (String module : List.of(".", "p9-core", "p9-spark-ml", "p9-aws")) {
      assertThat(text(module, "name")).as("%s's name", module).isNotBlank();
      assertThat(text(module, "description")).as("%s's description", module).isNotBlank();
      assertThat(text(module, "properties/maven.deploy.skip")).as("%s's maven.deploy.skip", module).isEmpty();
    }
  }

  /** The example app (and its job jar), the benchmarks and the compat tests are no library: never deployed. */
  @Test
  void theOtherModulesAreNotDeployed() throws Exception {
    for (String module : List.of("examples", "benchmarks", "compat")) {
      assertThat(text(module, "properties/maven.deploy.skip")).as("%s's maven.deploy.skip", module)
          .isEqualTo("true");
    }
    for (String module : List.of("compat/spark-3.5.0", "compat/hadoop-3.4")) {
      assertThat(text(module, "parent/artifactId")).as("%s's parent", module).isEqualTo("p9-compat");
    }
  }
}
