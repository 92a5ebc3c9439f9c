package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README is the front page and docs/ the manual: every relative link of README.md and docs/**.md must point at a
 * file that exists, and a {@code #fragment} into a markdown page at one of its headings (GitHub's anchors).
 */
class DocumentationLinksTest {

    private static final Path README = DeployFiles.path("README.md");
    private static final Path DOCS = DeployFiles.path("docs");
    /** {@code [text](target)} or {@code ![alt](target "title")}; the text may not hold a {@code ]}. */
    private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    static Stream<Path> pages() throws IOException {
        try (Stream<Path> docs = Files.walk(DOCS)) {
            List<Path> pages = new ArrayList<>(List.of(README));
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
            return pages.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void everyRelativeLinkPointsAtAnExistingFileAndHeading(Path page) {
        assertThat(brokenLinks(page)).as("broken links in " + DeployFiles.ROOT.relativize(page)).isEmpty();
    }

    @Test
    void theReadmeLinksEveryPageOfTheManual() throws IOException {
        Set<Path> linked = new LinkedHashSet<>();
        for (String target : links(Files.readString(README))) {
            if (!SCHEME.matcher(target).find() && !target.startsWith("#")) {
                linked.add(README.getParent().resolve(target.split("#", 2)[0]).normalize());
            }
        }
        try (Stream<Path> docs = Files.walk(DOCS)) {
            assertThat(docs.filter(p -> p.toString().endsWith(".md"))).allSatisfy(p -> assertThat(linked).as("README links").contains(p));
        }
    }

    @Test
    void theReadmeStartsWithTheTwoCommands() throws IOException {
        List<String> lines = Files.readAllLines(README).stream().filter(l -> !l.isBlank()).toList();
        assertThat(lines.get(0)).as("the title").startsWith("# ");
        assertThat(lines.subList(1, 5)).satisfiesExactly(
                l -> assertThat(l).isEqualTo("```bash"),
                l -> assertThat(l).startsWith("./tokenmeter demo "),
                l -> assertThat(l).startsWith("mvn -B verify "),
                l -> assertThat(l).isEqualTo("```"));
        assertThat(Files.readAllLines(README)).as("the README is the front page, the manual is in docs/").hasSizeLessThan(300);
    }

    /** The check itself: a missing file, a missing heading and a link outside code are caught; links in code are not links. */
    @Test
    void aBrokenLinkIsReported(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("other.md"), "# Other page\n\n## The JSON event contract (`ingest.raw`)\n");
        Path page = dir.resolve("page.md");
        Files.writeString(page, String.join("\n",
                "# Page",
                "[fine](other.md), [fine too](other.md#the-json-event-contract-ingestraw), [here](#page), [web](https://example.com/x)",
                "[gone](missing.md) and [no such heading](other.md#prices) and [nor here](#nowhere)",
                "`[in code](missing-in-code.md)`",
                "```",
                "[in a block](missing-in-block.md)",
                "```"));

        assertThat(brokenLinks(page)).containsExactly("missing.md (no such file)", "other.md#prices (no such heading)",
                "#nowhere (no such heading)");
    }

    private static List<String> brokenLinks(Path page) {
        List<String> broken = new ArrayList<>();
        Map<Path, Set<String>> anchors = new HashMap<>();
        for (String target : links(read(page))) {
            if (SCHEME.matcher(target).find()) {
                continue; // https:, mailto:: not a file of this repository
            }
            String[] parts = target.split("#", 2);
            Path file = parts[0].isEmpty() ? page : page.getParent().resolve(parts[0]).normalize();
            if (!Files.exists(file)) {
                broken.add(target + " (no such file)");
            } else if (parts.length == 2 && file.toString().endsWith(".md")
                    && !anchors.computeIfAbsent(file, f -> headingAnchors(read(f))).contains(parts[1])) {
                broken.add(target + " (no such heading)");
            }
        }
        return broken;
    }

    /** The link targets of a markdown text, outside fenced code blocks and inline code. */
    static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        for (String line : prose(markdown)) {
            Matcher link = LINK.matcher(line.replaceAll("`[^`]*`", ""));
            while (link.find()) {
                targets.add(link.group(1));
            }
        }
        return targets;
    }

    /** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
    static Set<String> headingAnchors(String markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : prose(markdown)) {
            Matcher heading = HEADING.matcher(line);
            if (heading.matches()) {
                String text = heading.group(1).replaceAll("\\[([^\\]]*)]\\([^)]*\\)", "$1");
                String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
                int repeat = seen.merge(slug, 1, Integer::sum) - 1;
                anchors.add(repeat == 0 ? slug : slug + "-" + repeat);
            }
        }
        return anchors;
    }

    /** The lines outside fenced code blocks. */
    private static List<String> prose(String markdown) {
        List<String> lines = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
