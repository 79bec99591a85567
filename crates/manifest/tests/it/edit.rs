//! Golden tests: an edit changes the value and not one other byte.

use verso_manifest::edit::{set_string, EditError, Format};

/// Asserts that `edited` is `original` with exactly `old` replaced by `new` once.
fn assert_only_changed(original: &str, edited: &str, old: &str, new: &str) {
    assert_eq!(
        original.matches(old).count(),
        1,
        "`{old}` must be unique in the fixture"
    );
    assert_eq!(
        edited,
        original.replacen(old, new, 1),
        "edited text:\n{edited}"
    );
}

const PACKAGE_JSON: &str = "{\r\n    \"name\": \"@acme/api\",\r\n    \"description\": \"version \\\"1.0.0\\\" in a string\",\r\n    \"version\": \"1.4.2\",\r\n    \"dependencies\": {\r\n        \"@acme/core\": \"^2.1.0\",\r\n        \"left-pad\": \"1.3.0\"\r\n    },\r\n    \"nested\": {\"list\": [1, {\"version\": \"x\"}], \"n\": -1.5e3, \"ok\": true}\r\n}";

#[test]
fn json_keeps_crlf_indentation_order_and_missing_final_newline() {
    let edited = set_string(Format::Json, PACKAGE_JSON, &["version"], "1.5.0").expect("edits");
    assert_only_changed(PACKAGE_JSON, &edited, "\"1.4.2\"", "\"1.5.0\"");
    let edited = set_string(
        Format::Json,
        PACKAGE_JSON,
        &["dependencies", "@acme/core"],
        "^2.2.0",
    )
    .expect("edits");
    assert_only_changed(PACKAGE_JSON, &edited, "\"^2.1.0\"", "\"^2.2.0\"");
    assert_eq!(
        set_string(Format::Json, PACKAGE_JSON, &["devDependencies", "x"], "1"),
        Err(EditError::Missing {
            path: "devDependencies.x".to_owned()
        })
    );
    assert!(matches!(
        set_string(Format::Json, PACKAGE_JSON, &["nested"], "1"),
        Err(EditError::NotAString { line: 9, .. })
    ));
    let broken = "{\n  \"version\": \"1.0.0\",\n}\n";
    assert!(matches!(
        set_string(Format::Json, broken, &["version"], "1.0.1"),
        Err(EditError::Malformed { line: 3, .. })
    ));
}

const CARGO_TOML: &str = "# The API crate.\n[package]\nname = \"api\"   # keep me\nversion = '0.3.1' # single quotes stay\nedition = \"2021\"\n\n[dependencies]\ncore = { path = \"../core\", version = \"0.3\" }\nserde = \"1\"\n\n[workspace.package]\nversion = \"2.0.0\"\n";

#[test]
fn toml_keeps_comments_quotes_and_inline_tables() {
    let edited =
        set_string(Format::Toml, CARGO_TOML, &["package", "version"], "0.4.0").expect("edits");
    assert_only_changed(CARGO_TOML, &edited, "'0.3.1'", "'0.4.0'");
    let edited = set_string(
        Format::Toml,
        CARGO_TOML,
        &["dependencies", "core", "version"],
        "0.4",
    )
    .expect("edits");
    assert_only_changed(CARGO_TOML, &edited, "\"0.3\"", "\"0.4\"");
    let edited = set_string(
        Format::Toml,
        CARGO_TOML,
        &["workspace", "package", "version"],
        "2.1.0",
    )
    .expect("edits");
    assert_only_changed(CARGO_TOML, &edited, "\"2.0.0\"", "\"2.1.0\"");
    assert!(matches!(
        set_string(Format::Toml, CARGO_TOML, &["dependencies", "core"], "1"),
        Err(EditError::NotAString { line: 8, .. })
    ));
    assert!(matches!(
        set_string(
            Format::Toml,
            "[package\nversion = \"1\"\n",
            &["package", "version"],
            "2"
        ),
        Err(EditError::Malformed { line: 1, .. })
    ));
}

const CHART_YAML: &str = "apiVersion: v2\r\nname: api\r\n# the chart's own version\r\nversion: 1.2.3   # bumped by verso\r\nappVersion: \"1.2.3\"\r\nimage:\r\n  repository: registry.local/api\r\n  tag: 'sha-1234'\r\n";

#[test]
fn yaml_keeps_comments_quotes_and_crlf() {
    let edited = set_string(Format::Yaml, CHART_YAML, &["version"], "1.3.0").expect("edits");
    assert_only_changed(CHART_YAML, &edited, "1.2.3   #", "1.3.0   #");
    let edited = set_string(Format::Yaml, CHART_YAML, &["appVersion"], "1.3.0").expect("edits");
    assert_only_changed(CHART_YAML, &edited, "\"1.2.3\"", "\"1.3.0\"");
    let edited = set_string(Format::Yaml, CHART_YAML, &["image", "tag"], "1.3.0").expect("edits");
    assert_only_changed(CHART_YAML, &edited, "'sha-1234'", "'1.3.0'");
    assert_eq!(
        set_string(Format::Yaml, CHART_YAML, &["image", "digest"], "x"),
        Err(EditError::Missing {
            path: "image.digest".to_owned()
        })
    );
    assert!(matches!(
        set_string(Format::Yaml, "version: [1.0\n", &["version"], "2"),
        Err(EditError::Malformed { .. })
    ));
}

#[test]
fn plain_version_file_keeps_its_whitespace() {
    assert_eq!(
        set_string(Format::Plain, "1.2.3\n", &[], "1.3.0").expect("edits"),
        "1.3.0\n"
    );
    assert_eq!(
        set_string(Format::Plain, "  0.9.0\r\n", &[], "1.0.0").expect("edits"),
        "  1.0.0\r\n"
    );
}

#[test]
fn yaml_sequences_flow_collections_and_quoted_keys() {
    use verso_manifest::edit::{set_string_at, Segment};
    let text = "deps:\n  - {name: a, version: \"1.0.0\"}   # flow\n  - name: b\n    'version': ~1.0.0\n\"quoted key\": [x, 'y']\n";
    let edited = set_string_at(
        Format::Yaml,
        text,
        &[
            Segment::Key("deps"),
            Segment::Index(1),
            Segment::Key("version"),
        ],
        "~1.1.0",
    )
    .expect("edits");
    assert_only_changed(text, &edited, "~1.0.0", "~1.1.0");
    let edited = set_string_at(
        Format::Yaml,
        text,
        &[
            Segment::Key("deps"),
            Segment::Index(0),
            Segment::Key("version"),
        ],
        "1.1.0",
    )
    .expect("edits");
    assert_only_changed(text, &edited, "\"1.0.0\"", "\"1.1.0\"");
    let edited = set_string_at(
        Format::Yaml,
        text,
        &[Segment::Key("quoted key"), Segment::Index(1)],
        "it's",
    )
    .expect("edits");
    assert_only_changed(text, &edited, "'y'", "'it''s'");
    assert_eq!(
        set_string_at(
            Format::Yaml,
            text,
            &[Segment::Key("deps"), Segment::Index(2)],
            "x"
        ),
        Err(EditError::Missing {
            path: "deps[2]".to_owned()
        })
    );
    // A plain scalar that would read back as a number is quoted.
    let edited =
        set_string(Format::Yaml, "appVersion: v1\n", &["appVersion"], "1.10").expect("edits");
    assert_eq!(edited, "appVersion: \"1.10\"\n");
}

#[test]
fn json_and_toml_indexes() {
    use verso_manifest::edit::{set_string_at, Segment};
    let json = "{\"list\": [ {\"v\": \"1\"} , {\"v\": \"2\"} ]}";
    let edited = set_string_at(
        Format::Json,
        json,
        &[Segment::Key("list"), Segment::Index(1), Segment::Key("v")],
        "3",
    )
    .expect("edits");
    assert_only_changed(json, &edited, "\"2\"", "\"3\"");
    let lock = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n";
    let edited = set_string_at(
        Format::Toml,
        lock,
        &[
            Segment::Key("package"),
            Segment::Index(1),
            Segment::Key("version"),
        ],
        "2.1.0",
    )
    .expect("edits");
    assert_only_changed(lock, &edited, "2.0.0", "2.1.0");
    let array = "deps = [\"a>=1\", 'b>=2']\n";
    let edited = set_string_at(
        Format::Toml,
        array,
        &[Segment::Key("deps"), Segment::Index(1)],
        "b>=3",
    )
    .expect("edits");
    assert_only_changed(array, &edited, "'b>=2'", "'b>=3'");
}
