package io.checkout.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the files under deploy/ for the tests, and pulls metric names out of PromQL. */
final class DeployFiles {
    static final Path DIR = Path.of(System.getProperty("checkout.deploy.dir", "."));
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private static final Set<String> PROMQL_WORDS = Set.of(
            "sum",
            "min",
            "max",
            "avg",
            "count",
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "rate",
            "irate",
            "increase",
            "deriv",
            "delta",
            "histogram_quantile",
            "min_over_time",
            "max_over_time",
            "avg_over_time",
            "label_values",
            "and",
            "or",
            "unless",
            "bool",
            "offset",
            "topk",
            "bottomk",
            "abs",
            "clamp_min",
            "clamp_max",
            "absent",
            "time",
            "vector",
            "scalar");
    private static final Pattern LABEL_MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private DeployFiles() {}

    static JsonNode yaml(String relative) {
        try {
            return YAML.readTree(DIR.resolve(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + relative, e);
        }
    }

    /** Every document of a YAML file (Kubernetes files may hold several, separated by ---). */
    static List<JsonNode> yamlDocuments(Path file) {
        List<JsonNode> documents = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            var iterator = YAML.readValues(parser, JsonNode.class);
            while (iterator.hasNext()) {
                JsonNode document = iterator.next();
                if (document != null && !document.isNull() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
        return documents;
    }

    static JsonNode json(String relative) {
        try {
            return JSON.readTree(DIR.resolve(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + relative, e);
        }
    }

    /** Every PromQL expression of the dashboard's panels. */
    static List<String> dashboardExpressions() {
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : json("grafana/dashboards/checkout.json").path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                expressions.add(target.path("expr").asText());
            }
        }
        return expressions;
    }

    /** Every PromQL expression of the alert rules. */
    static List<String> alertExpressions() {
        List<String> expressions = new ArrayList<>();
        for (JsonNode group : yaml("prometheus/alerts.yml").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                expressions.add(rule.path("expr").asText());
            }
        }
        return expressions;
    }

    /**
     * The metric names an expression reads: identifiers that are neither PromQL functions and
     * keywords, nor label names (inside {@code {}} or a grouping clause), nor numbers.
     */
    static Set<String> metricNames(String expression) {
        String stripped = LABEL_MATCHERS.matcher(expression).replaceAll(" ");
        stripped = GROUPING.matcher(stripped).replaceAll(" ");
        stripped = RANGE.matcher(stripped).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher matcher = IDENTIFIER.matcher(stripped);
        while (matcher.find()) {
            String word = matcher.group();
            if (!PROMQL_WORDS.contains(word)) {
                names.add(word);
            }
        }
        return names;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Java properties text (a ConfigMap entry or a file), parsed. */
    static Properties properties(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return properties;
    }

    /** A JVM size flag's value in bytes, e.g. -Xmx1g in the options; fails the test if absent. */
    static long jvmSize(String options, String flag) {
        Matcher matcher =
                Pattern.compile(Pattern.quote(flag) + "(\\d+)([kmgKMG]?)").matcher(options);
        assertThat(matcher.find()).as("%s in %s", flag, options).isTrue();
        long value = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2).toLowerCase()) {
            case "k" -> value << 10;
            case "m" -> value << 20;
            case "g" -> value << 30;
            default -> value;
        };
    }

    /** A Kubernetes binary quantity (3Gi, 256Mi, ...) in bytes. */
    static long kubernetesQuantity(String quantity) {
        Matcher matcher = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti)?").matcher(quantity);
        assertThat(matcher.matches()).as("quantity %s", quantity).isTrue();
        long value = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "" : matcher.group(2);
        return switch (unit) {
            case "Ki" -> value << 10;
            case "Mi" -> value << 20;
            case "Gi" -> value << 30;
            case "Ti" -> value << 40;
            default -> value;
        };
    }
}
