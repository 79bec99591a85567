//! `verso semver …`: the exact interface.

use crate::{verso, verso_with_input};

fn here() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn parse_prints_one_json_object() {
    let run = verso(here(), &["semver", "parse", "1.2.3-alpha.1+b5"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.answer(),
        r#"{"version":"1.2.3-alpha.1","major":1,"minor":2,"patch":3,"prerelease":["alpha",1],"build":["b5"]}"#
    );
}

#[test]
fn invalid_version_exits_1_with_nothing_on_stdout() {
    for args in [
        vec!["semver", "parse", "1.2"],
        vec!["semver", "compare", "1.0.0", "x"],
        vec!["semver", "inc", "1.2.3", "release"],
        vec!["semver", "inc", "1.2.3", "huge"],
        vec!["semver", "satisfies", "1.2.3", ">=1.x.3"],
    ] {
        let run = verso(here(), &args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(run.stdout.is_empty(), "{args:?}");
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn compare_inc_and_satisfies() {
    let cases: &[(&[&str], &str)] = &[
        (&["semver", "compare", "1.0.0-rc.1", "1.0.0"], "-1"),
        (&["semver", "compare", "1.0.0+a", "1.0.0+b"], "0"),
        (&["semver", "compare", "2.0.0", "1.99.99"], "1"),
        (
            &["semver", "inc", "1.0.0", "preminor", "beta"],
            "1.1.0-beta.0",
        ),
        (
            &["semver", "inc", "1.0.0", "prerelease", "beta"],
            "1.0.1-beta.0",
        ),
        (
            &["semver", "inc", "1.0.1-beta.0", "prerelease"],
            "1.0.1-beta.1",
        ),
        (
            &[
                "semver",
                "inc",
                "1.2.0",
                "prerelease",
                "alpha",
                "--preid-base",
                "1",
            ],
            "1.2.1-alpha.1",
        ),
        (
            &[
                "semver",
                "inc",
                "1.2.0",
                "prerelease",
                "alpha",
                "--preid-base",
                "false",
            ],
            "1.2.1-alpha",
        ),
        (&["semver", "satisfies", "1.3.0", "^1.2"], "true"),
        (&["semver", "satisfies", "1.3.0-beta.1", "^1.2"], "false"),
        (
            &[
                "semver",
                "satisfies",
                "1.3.0-beta.1",
                "^1.2",
                "--include-prerelease",
            ],
            "true",
        ),
    ];
    for (args, expected) in cases {
        let run = verso(here(), args);
        assert_eq!(
            (run.code, run.answer()),
            (0, *expected),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn sort_orders_by_precedence_and_names_a_bad_line() {
    let run = verso_with_input(
        here(),
        &["semver", "sort"],
        "1.10.0\n1.2.0\n\n1.2.0-rc.1\nv1.0.0\n",
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.answer(), "v1.0.0\n1.2.0-rc.1\n1.2.0\n1.10.0");
    let run = verso_with_input(here(), &["semver", "sort"], "1.0.0\nnope\n");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
}
