package io.p9.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job jar carries the licence and notices of every third-party artifact it bundles.
 *
 * <p>Which artifacts it bundles is not listed here: of the module's runtime dependencies (the build's
 * {@code dependency:build-classpath}, {@code p9.runtime.classpath}), an artifact is bundled when most of its files
 * (outside {@code META-INF/}) are in the job jar, at their own path or under a relocation prefix. For each one the
 * jar must have a line in {@code META-INF/THIRD-PARTY.txt} naming a licence, a licence text under
 * {@code META-INF/licenses/}, and a copy of each licence or notice file that the artifact's own jar holds; and the
 * jar must list or carry nothing for artifacts it does not bundle. p9's own LICENSE and NOTICE are in the job jar and
 * in each jar of p9's modules.
 */
class JobJarLicencesIT {
  /**
   * A licence or notice file in a jar: at its root or in META-INF, named like LICENSE, NOTICE (also ONNX Runtime's
   * ThirdPartyNotices.txt), COPYING.
   */
  private static final Pattern LICENCE_FILE =
      Pattern.compile("(META-INF/)?[^/]*(LICEN[CS]E|NOTICE|COPYING)[^/]*", Pattern.CASE_INSENSITIVE);
  private static final String LICENSES = "META-INF/licenses/";

  record Artifact(String groupId, String artifactId, String version, Path file) {
    String gav() {
      return groupId + ":" + artifactId + ":" + version;
    }

    /** Where the build copies the licence files of this artifact's jar. */
    String ownDir() {
      return groupDir() + artifactId + "/" + version + "/";
    }

    /** Where the committed texts of this artifact's group go. */
    String groupDir() {
      return LICENSES + groupId.replace('.', '/') + "/";
    }
  }

  private static JarFile job;
  private static Set<String> names;
  private static List<Artifact> bundled;
  private static List<Artifact> notBundled;

  @BeforeAll
  static void readJarAndDependencies() throws IOException {
    Path jar = Paths.get(System.getProperty("p9.job.jar", "missing"));
    assertThat(jar).isRegularFile();
    job = new JarFile(jar.toFile());
    names = Collections.list(job.entries()).stream().filter(e -> !e.isDirectory()).map(ZipEntry::getName)
        .collect(Collectors.toCollection(HashSet::new));
    // Each entry also under the names it had before a relocation prefix was put in front of it.
    Set<String> suffixes = new HashSet<>();
    for (String n : names) {
      for (int i = 0; i >= 0; i = n.indexOf('/', i + 1)) {
        suffixes.add(i == 0 ? n : n.substring(i + 1));
      }
    }
    bundled = new ArrayList<>();
    notBundled = new ArrayList<>();
    for (Artifact a : runtimeDependencies()) {
      if (a.groupId().equals("io.p9")) {
        continue; // p9's own modules
      }
      List<String> content = content(a.file());
      long inJob = content.stream().filter(suffixes::contains).count();
      (!content.isEmpty() && inJob * 2 > content.size() ? bundled : notBundled).add(a);
    }
  }

  @AfterAll
  static void closeJar() throws IOException {
    if (job != null) {
      job.close();
    }
  }

  /**
   * The third-party artifacts of the build's runtime class path ({@code dependency:build-classpath}), named from
   * their place in the local repository ({@code <groupId path>/<artifactId>/<version>/<file>.jar}); p9's own
   * modules, outside it, are left out.
   */
  private static List<Artifact> runtimeDependencies() throws IOException {
    Path classpath = Paths.get(System.getProperty("p9.runtime.classpath", "missing"));
    Path repo = Paths.get(System.getProperty("p9.local.repository", "missing")).toAbsolutePath().normalize();
    assertThat(classpath).isRegularFile();
    assertThat(repo).isDirectory();
    List<Artifact> out = new ArrayList<>();
    for (String entry : Files.readString(classpath).strip().split(File.pathSeparator)) {
      Path file = Paths.get(entry).toAbsolutePath().normalize();
      if (!file.startsWith(repo) || !file.toString().endsWith(".jar")) {
        continue;
      }
      Path rel = repo.relativize(file);
      int n = rel.getNameCount();
      assertThat(n).as("%s in the local repository", rel).isGreaterThanOrEqualTo(4);
      String group = rel.subpath(0, n - 3).toString().replace(File.separatorChar, '.');
      out.add(new Artifact(group, rel.getName(n - 3).toString(), rel.getName(n - 2).toString(), file));
    }
    assertThat(out).as("artifacts in %s", classpath).hasSizeGreaterThan(10);
    return out;
  }

  /** The files of a jar outside META-INF (what shading copies), less module descriptors. */
  private static List<String> content(Path jar) throws IOException {
    try (JarFile j = new JarFile(jar.toFile())) {
      return Collections.list(j.entries()).stream().filter(e -> !e.isDirectory()).map(ZipEntry::getName)
          .filter(n -> !n.startsWith("META-INF/") && !n.endsWith("module-info.class")).toList();
    }
  }

  private static Map<String, byte[]> licenceFiles(Path jar) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (JarFile j = new JarFile(jar.toFile())) {
      for (ZipEntry e : Collections.list(j.entries())) {
        if (!e.isDirectory() && LICENCE_FILE.matcher(e.getName()).matches()) {
          try (InputStream in = j.getInputStream(e)) {
            out.put(e.getName(), in.readAllBytes());
          }
        }
      }
    }
    return out;
  }

  private static String text(String entry) throws IOException {
    ZipEntry e = job.getEntry(entry);
    assertThat(e).as("%s in the job jar", entry).isNotNull();
    try (InputStream in = job.getInputStream(e)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** META-INF/THIRD-PARTY.txt as groupId:artifactId:version to its licences. */
  private static Map<String, String> thirdPartyList() throws IOException {
    Pattern line = Pattern.compile("([^:\\s|]+:[^:\\s|]+:[^:\\s|]+) \\| ([^|]*) \\|.*");
    Map<String, String> out = new LinkedHashMap<>();
    for (String l : text("META-INF/THIRD-PARTY.txt").split("\n")) {
      Matcher m = line.matcher(l);
      if (m.matches()) {
        out.put(m.group(1), m.group(2).trim());
      }
    }
    return out;
  }

  @Test
  void findsTheBundledArtifacts() {
    // The detection itself: the ONNX Runtime and the relocated protobuf are in, Spark (on the module's class
    // path, provided by the cluster) is not.
    assertThat(bundled).extracting(Artifact::artifactId).contains("onnxruntime", "protobuf-java");
    assertThat(notBundled).extracting(Artifact::artifactId).contains("spark-core_2.12");
  }

  @Test
  void listsEveryBundledArtifactWithItsLicencesAndNothingElse() throws IOException {
    Map<String, String> listed = thirdPartyList();
    List<String> missing = new ArrayList<>();
    for (Artifact a : bundled) {
      String licences = listed.get(a.gav());
      if (licences == null || licences.isBlank() || licences.toLowerCase().contains("unknown")) {
        missing.add(a.gav() + " -> " + licences);
      }
    }
    assertThat(missing).as("bundled artifacts without a licence in META-INF/THIRD-PARTY.txt").isEmpty();
    Set<String> bundledGavs = bundled.stream().map(Artifact::gav).collect(Collectors.toSet());
    assertThat(new TreeSet<>(listed.keySet())).as("listed in META-INF/THIRD-PARTY.txt but not in the jar")
        .isSubsetOf(bundledGavs);
  }

  @Test
  void carriesALicenceTextForEveryBundledArtifact() {
    List<String> without = new ArrayList<>();
    for (Artifact a : bundled) {
      boolean own = names.stream().anyMatch(n -> n.startsWith(a.ownDir()));
      boolean group = names.stream().anyMatch(n -> n.startsWith(a.groupDir())
          && n.indexOf('/', a.groupDir().length()) < 0);
      if (!own && !group) {
        without.add(a.gav());
      }
    }
    assertThat(without).as("bundled artifacts with no file in %s<groupId path>/[<artifactId>/<version>/]",
        LICENSES).isEmpty();
  }

  @Test
  void carriesTheLicenceAndNoticeFilesOfEachBundledJar() throws IOException {
    List<String> problems = new ArrayList<>();
    for (Artifact a : bundled) {
      for (Map.Entry<String, byte[]> f : licenceFiles(a.file()).entrySet()) {
        String copy = a.ownDir() + f.getKey();
        if (!names.contains(copy)) {
          problems.add(a.gav() + ": " + f.getKey() + " missing (" + copy + ")");
        } else {
          try (InputStream in = job.getInputStream(job.getEntry(copy))) {
            if (!Arrays.equals(in.readAllBytes(), f.getValue())) {
              problems.add(a.gav() + ": " + copy + " differs from the artifact's " + f.getKey());
            }
          }
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  /** The root META-INF/NOTICE has every line of every bundled artifact's root NOTICE file. */
  @Test
  void mergesTheNoticesOfTheBundledJars() throws IOException {
    Set<String> merged = text("META-INF/NOTICE").lines().map(String::strip).collect(Collectors.toSet());
    List<String> lost = new ArrayList<>();
    for (Artifact a : bundled) {
      for (Map.Entry<String, byte[]> f : licenceFiles(a.file()).entrySet()) {
        if (f.getKey().matches("(?i)META-INF/NOTICE(\\.txt|\\.md)?")) {
          new String(f.getValue(), StandardCharsets.UTF_8).lines().map(String::strip).filter(l -> !l.isEmpty())
              .filter(l -> !merged.contains(l)).forEach(l -> lost.add(a.gav() + " " + f.getKey() + ": " + l));
        }
      }
    }
    assertThat(lost).isEmpty();
  }

  @Test
  void carriesNoLicenceFilesForArtifactsItDoesNotBundle() {
    List<String> stray = names.stream().filter(n -> n.startsWith(LICENSES) && !n.equals(LICENSES + "README.md"))
        .filter(n -> bundled.stream().noneMatch(a -> n.startsWith(a.ownDir())
            || n.startsWith(a.groupDir()) && n.indexOf('/', a.groupDir().length()) < 0))
        .sorted().toList();
    assertThat(stray).as("files in %s of no bundled artifact", LICENSES).isEmpty();
  }

  /**
   * p9's own licence: the job jar's META-INF/LICENSE is p9's LICENSE, and its merged META-INF/NOTICE starts with
   * the first paragraph of p9's NOTICE (name and copyright; the shade transformer puts the paragraph that starts
   * with its projectName and holds a copyright first, and makes one up if there is none) and has all its lines.
   */
  @Test
  void carriesP9sOwnLicenceAndNotice() throws IOException {
    assertThat(text("META-INF/LICENSE")).as("the job jar's META-INF/LICENSE").isEqualTo(repoFile("LICENSE"));
    String own = repoFile("NOTICE");
    String merged = text("META-INF/NOTICE");
    assertThat(own).as("p9's NOTICE: name and copyright, a blank line, the rest").contains("\n\n");
    assertThat(merged.strip()).as("the job jar's META-INF/NOTICE").startsWith(own.substring(0, own.indexOf("\n\n")));
    assertThat(merged.lines().toList()).as("the job jar's META-INF/NOTICE")
        .containsAll(own.lines().filter(l -> !l.isBlank()).toList());
  }

  /**
   * Each jar of p9's modules that the job jar is built from, and examples' own, carries p9's LICENSE and NOTICE;
   * so do the classified jars the build makes beside them ({@code p9.classified.jars}: the release profile's
   * -sources and -javadoc jars), which must be there.
   */
  @Test
  void p9sModuleJarsCarryItsLicenceAndNotice() throws IOException {
    List<Path> jars = p9ModuleJars();
    assertThat(jars).extracting(j -> j.getFileName().toString().replaceAll("-[0-9].*", ""))
        .contains("p9-core", "p9-spark-ml", "p9-aws", "p9-examples");
    List<Path> classified = classifiedJars(jars);
    assertThat(classified).allSatisfy(j -> assertThat(j).isRegularFile());
    List<Path> all = new ArrayList<>(jars);
    all.addAll(classified);
    List<String> problems = new ArrayList<>();
    for (Path jar : all) {
      try (JarFile j = new JarFile(jar.toFile())) {
        for (String f : List.of("LICENSE", "NOTICE")) {
          ZipEntry e = j.getEntry("META-INF/" + f);
          if (e == null) {
            problems.add(jar.getFileName() + ": no META-INF/" + f);
            continue;
          }
          try (InputStream in = j.getInputStream(e)) {
            if (!new String(in.readAllBytes(), StandardCharsets.UTF_8).equals(repoFile(f))) {
              problems.add(jar.getFileName() + ": META-INF/" + f + " is not p9's " + f);
            }
          }
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  /** The jars of p9's modules on the runtime class path (the reactor's packaged jars), and examples' own jar. */
  private static List<Path> p9ModuleJars() throws IOException {
    Path classpath = Paths.get(System.getProperty("p9.runtime.classpath", "missing"));
    List<Path> out = new ArrayList<>();
    for (String entry : Files.readString(classpath).strip().split(File.pathSeparator)) {
      Path file = Paths.get(entry);
      if (file.getFileName().toString().matches("p9-.*\\.jar")) {
        out.add(file);
      }
    }
    Path jobJar = Paths.get(System.getProperty("p9.job.jar", "missing"));
    out.add(jobJar.resolveSibling(jobJar.getFileName().toString().replaceFirst("-job\\.jar$", ".jar")));
    return out;
  }

  /** For each of {@code jars}, its siblings of each classifier in {@code p9.classified.jars} (comma-separated). */
  private static List<Path> classifiedJars(List<Path> jars) {
    List<Path> out = new ArrayList<>();
    for (String classifier : System.getProperty("p9.classified.jars", "").split(",")) {
      if (!classifier.isBlank()) {
        jars.forEach(j -> out.add(j.resolveSibling(
            j.getFileName().toString().replaceFirst("\\.jar$", "-" + classifier.strip() + ".jar"))));
      }
    }
    return out;
  }

  private static String repoFile(String name) throws IOException {
    return Files.readString(Paths.get(System.getProperty("p9.repo.root", "."), name), StandardCharsets.UTF_8);
  }

  /**
   * The data files the jar carries (the model and its label list, under {@code p9/}) keep their attribution:
   * their folder has a licence text and a README.md that names each of them.
   */
  @Test
  void carriesTheAttributionOfItsDataFiles() throws IOException {
    Map<String, List<String>> byFolder = new TreeMap<>();
    names.stream().filter(n -> n.startsWith("p9/")).sorted()
        .forEach(n -> byFolder.computeIfAbsent(n.substring(0, n.lastIndexOf('/') + 1), k -> new ArrayList<>())
            .add(n.substring(n.lastIndexOf('/') + 1)));
    assertThat(byFolder).containsKey("p9/models/");
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, List<String>> f : byFolder.entrySet()) {
      if (f.getValue().stream().noneMatch(n -> LICENCE_FILE.matcher(n).matches())) {
        problems.add(f.getKey() + " has no licence text");
      }
      if (!f.getValue().contains("README.md")) {
        problems.add(f.getKey() + " has no README.md");
        continue;
      }
      String readme = text(f.getKey() + "README.md");
      f.getValue().stream().filter(n -> !n.equals("README.md") && !readme.contains("`" + n + "`"))
          .forEach(n -> problems.add(f.getKey() + "README.md does not name " + n));
    }
    assertThat(problems).isEmpty();
  }
}
