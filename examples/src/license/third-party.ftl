<#-- META-INF/THIRD-PARTY.txt of the job jar (license-maven-plugin add-third-party, examples/pom.xml).
     dependencyMap: each bundled artifact (a MavenProject) with the licence names its POM declares. -->
Third-party artifacts in this jar (the p9 job jar), ${dependencyMap?size} in all, each with the licences
that its POM declares: groupId:artifactId:version | licences | name | project URL.

Licence texts and notices:
  META-INF/licenses/<groupId as a path>/<artifactId>/<version>/  the licence and notice files in the artifact's jar
  META-INF/licenses/<groupId as a path>/                         the licence texts of the group's project
  META-INF/NOTICE                                                the artifacts' Apache NOTICE files, merged
  META-INF/licenses/README.md                                    where each committed text comes from
The model file and its licence: p9/models/README.md.

<#list dependencyMap as e>
<#assign p = e.getKey()/>
${p.groupId}:${p.artifactId}:${p.version} | ${e.getValue()?join("; ")} | ${p.name!p.artifactId} | ${p.url!"-"}
</#list>
