package dev.chatrouter.samples.embedded;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's "Embedded use" section holds as written: its Java is the sample file {@code ReadmeExample.java}
 * byte for byte, it compiles as pasted, and its Maven coordinates are ones this module declares.
 */
class ReadmeSnippetTest {

    private static final String SECTION = "## Embedded use";
    private static final Path SAMPLE = Path.of("samples/embedded/src/main/java/com/example/ReadmeExample.java");

    private static Path root;
    private static String section;

    @BeforeAll
    static void readReadme() throws IOException {
        root = repositoryRoot();
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("\n" + SECTION + "\n");
        assertThat(start).as("README.md has a '%s' section", SECTION).isNotNegative();
        int end = readme.indexOf("\n## ", start + SECTION.length() + 1);
        section = readme.substring(start + 1, end < 0 ? readme.length() : end + 1);
    }

    @Test
    void theJavaInTheReadmeIsTheSampleFile() throws IOException {
        String sample = Files.readString(root.resolve(SAMPLE), StandardCharsets.UTF_8);

        assertThat(stripTrailingNewlines(javaBlock())).isEqualTo(stripTrailingNewlines(sample));
    }

    @Test
    void theJavaInTheReadmeCompilesAsPasted(@TempDir Path temp) throws IOException {
        String java = javaBlock();
        Matcher name = Pattern.compile("(?m)^public (?:final )?class (\\w+)").matcher(java);
        assertThat(name.find()).as("the snippet declares a public class").isTrue();
        Path source = temp.resolve("src").resolve(name.group(1) + ".java");
        Path classes = temp.resolve("classes");
        Files.createDirectories(source.getParent());
        Files.createDirectories(classes);
        Files.writeString(source, java, StandardCharsets.UTF_8);

        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertThat(compiler).as("a JDK's compiler").isNotNull();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        boolean compiled;
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null,
                StandardCharsets.UTF_8)) {
            List<String> options = List.of("-classpath", System.getProperty("java.class.path"),
                    "-d", classes.toString(), "-proc:none", "--release", "17");
            compiled = compiler.getTask(null, files, diagnostics, options, null,
                    files.getJavaFileObjects(source)).call();
        }

        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                errors.add("line " + d.getLineNumber() + ": " + d.getMessage(null));
            }
        }
        assertThat(errors).as("compiler errors in the README's Java").isEmpty();
        assertThat(compiled).isTrue();
        try (var produced = Files.walk(classes)) {
            assertThat(produced.anyMatch(p -> p.getFileName().toString().equals(name.group(1) + ".class")))
                    .as("%s.class was written", name.group(1)).isTrue();
        }
    }

    @Test
    void theReadmeDependenciesAreOnesThisModuleDeclares() throws Exception {
        List<Map<String, String>> shown = dependencies(xmlOf(section));
        assertThat(shown).as("<dependency> blocks in the README's '%s' section", SECTION).isNotEmpty();
        Document pom = parse(Files.readString(root.resolve("samples/embedded/pom.xml"), StandardCharsets.UTF_8));
        List<Map<String, String>> declared = dependencies(child(pom.getDocumentElement(), "dependencies"));
        String version = text(child(pom.getDocumentElement(), "parent"), "version");

        for (Map<String, String> dependency : shown) {
            String scope = dependency.getOrDefault("scope", "compile");
            assertThat(declared).as("samples/embedded/pom.xml declares %s:%s in scope %s",
                            dependency.get("groupId"), dependency.get("artifactId"), scope)
                    .anySatisfy(d -> {
                        assertThat(d.get("groupId")).isEqualTo(dependency.get("groupId"));
                        assertThat(d.get("artifactId")).isEqualTo(dependency.get("artifactId"));
                        assertThat(d.getOrDefault("scope", "compile")).isEqualTo(scope);
                    });
            assertThat(dependency.get("version")).as("the version shown for %s", dependency.get("artifactId"))
                    .isEqualTo(version);
        }
        assertThat(shown).as("the README shows router-api at compile scope")
                .anySatisfy(d -> {
                    assertThat(d.get("artifactId")).isEqualTo("router-api");
                    assertThat(d.getOrDefault("scope", "compile")).isEqualTo("compile");
                });
    }

    /** The one fenced java block of the section, without its fences. */
    private static String javaBlock() {
        Matcher m = Pattern.compile("(?s)\n```java\n(.*?)\n```\n").matcher(section);
        assertThat(m.find()).as("a ```java block in the README's '%s' section", SECTION).isTrue();
        String java = m.group(1) + "\n";
        assertThat(m.find()).as("only one ```java block in the README's '%s' section", SECTION).isFalse();
        return java;
    }

    /** The section's {@code <dependency>} blocks, wrapped in one element so they parse as one document. */
    private static Element xmlOf(String text) throws Exception {
        StringBuilder xml = new StringBuilder("<dependencies>");
        Matcher m = Pattern.compile("(?s)<dependency>.*?</dependency>").matcher(text);
        while (m.find()) {
            xml.append(m.group());
        }
        return parse(xml.append("</dependencies>").toString()).getDocumentElement();
    }

    /** The {@code dependency} children of a {@code <dependencies>} element, each as its fields by name. */
    private static List<Map<String, String>> dependencies(Element dependencies) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Node d = dependencies.getFirstChild(); d != null; d = d.getNextSibling()) {
            if (d instanceof Element dependency && dependency.getTagName().equals("dependency")) {
                Map<String, String> fields = new LinkedHashMap<>();
                for (Node n = dependency.getFirstChild(); n != null; n = n.getNextSibling()) {
                    if (n instanceof Element e) {
                        fields.put(e.getTagName(), e.getTextContent().trim());
                    }
                }
                out.add(fields);
            }
        }
        return out;
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no <" + name + "> in <" + parent.getTagName() + ">");
    }

    private static String text(Element parent, String name) {
        return child(parent, name).getTextContent().trim();
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static String stripTrailingNewlines(String text) {
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
            end--;
        }
        return text.substring(0, end);
    }

    /** The repository root: the first directory above the working directory that holds README.md and the sample. */
    private static Path repositoryRoot() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null
                && !(Files.isRegularFile(dir.resolve("README.md")) && Files.isRegularFile(dir.resolve(SAMPLE)))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("a directory above %s with README.md and %s", System.getProperty("user.dir"), SAMPLE)
                .isNotNull();
        return dir;
    }
}
