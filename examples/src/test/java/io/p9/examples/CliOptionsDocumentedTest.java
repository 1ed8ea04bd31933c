package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Every option {@code p9 ... --help} shows is named in the README or in docs/, where a user looks it up. */
class CliOptionsDocumentedTest {

  /** The README and docs/*.md, as one text. */
  private static String docs() throws IOException {
    Path root = Fixtures.repoRoot();
    StringBuilder text = new StringBuilder(Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8));
    try (Stream<Path> pages = Files.list(root.resolve("docs"))) {
      for (Path page : pages.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        text.append('\n').append(Files.readString(page, StandardCharsets.UTF_8));
      }
    }
    return text.toString();
  }

  /** "{@code p9 emr submit --subnet}" for each option of {@code cmd} and its subcommands that help shows. */
  private static void shownOptions(CommandLine cmd, List<String> out) {
    for (OptionSpec o : cmd.getCommandSpec().options()) {
      if (!o.hidden() && !o.usageHelp() && !o.versionHelp()) {
        out.add(cmd.getCommandSpec().qualifiedName() + " " + o.longestName());
      }
    }
    for (CommandLine sub : cmd.getSubcommands().values()) {
      shownOptions(sub, out);
    }
  }

  @Test
  void everyOptionInTheHelpIsInTheReadmeOrDocs() throws IOException {
    String docs = docs();
    List<String> shown = new ArrayList<>();
    shownOptions(new CommandLine(new P9Cli()), shown);
    assertThat(shown).as("options of run, emr and serverless").hasSizeGreaterThan(50);
    List<String> undocumented = shown.stream()
        .filter(o -> !Pattern.compile("(?<![\\w-])" + Pattern.quote(o.substring(o.lastIndexOf(' ') + 1))
            + "(?![\\w-])").matcher(docs).find())
        .toList();
    assertThat(undocumented).as("options named nowhere in README.md or docs/*.md").isEmpty();
  }
}
