//! Laws that hold for every input, checked with generated values.

use proptest::prelude::*;
use verso_core::bump::Bump;
use verso_core::next_version::{next_version, InitialDevelopment, NextOptions};
use verso_core::semver::{Identifier, Version};

fn identifier() -> impl Strategy<Value = Identifier> {
    prop_oneof![
        (0u64..20).prop_map(Identifier::Numeric),
        "[a-z][a-z0-9-]{0,5}".prop_map(Identifier::AlphaNumeric),
    ]
}

fn version() -> impl Strategy<Value = Version> {
    (
        0u64..4,
        0u64..4,
        0u64..4,
        prop::collection::vec(identifier(), 0..3),
    )
        .prop_map(|(major, minor, patch, prerelease)| Version {
            major,
            minor,
            patch,
            prerelease,
            build: Vec::new(),
        })
}

fn bump() -> impl Strategy<Value = Bump> {
    prop_oneof![
        Just(Bump::None),
        Just(Bump::Patch),
        Just(Bump::Minor),
        Just(Bump::Major)
    ]
}

fn channel() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("alpha".to_owned())),
        Just(Some("beta".to_owned())),
        Just(Some("rc".to_owned()))
    ]
}

fn mode() -> impl Strategy<Value = InitialDevelopment> {
    prop_oneof![
        Just(InitialDevelopment::Shift),
        Just(InitialDevelopment::BreakingMinor),
        Just(InitialDevelopment::Off)
    ]
}

proptest! {
    #[test]
    fn display_then_parse_round_trips(version in version()) {
        let printed = version.to_string();
        let parsed = Version::parse(&printed).expect("printed versions parse");
        prop_assert_eq!(parsed.to_string(), printed);
    }

    #[test]
    fn precedence_is_a_total_order(a in version(), b in version(), c in version()) {
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
    }

    #[test]
    fn a_version_never_goes_down(
        current in version(), bump in bump(), channel in channel(), mode in mode(),
        existing in prop::collection::vec(version(), 0..6),
    ) {
        let options = NextOptions { channel, initial_development: mode, ..NextOptions::default() };
        if let Ok(next) = next_version(Some(&current), bump, &options, &existing) {
            if let Some(version) = next.version {
                prop_assert!(version > current, "{} -> {}", current, version);
            } else {
                prop_assert_eq!(next.bump, Bump::None);
            }
        }
    }

    #[test]
    fn a_release_never_lands_on_an_existing_tag(
        current in version(), bump in bump(), channel in channel(),
        existing in prop::collection::vec(version(), 0..8),
    ) {
        let options = NextOptions { channel, ..NextOptions::default() };
        if let Ok(next) = next_version(Some(&current), bump, &options, &existing) {
            if let Some(version) = next.version {
                prop_assert!(!existing.contains(&version), "{} is already tagged", version);
            }
        }
    }
}
