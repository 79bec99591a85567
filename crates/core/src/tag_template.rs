//! Tag templates: how a release's tag name is written (`v{version}`, `{name}@{version}`,
//! `{name}-v{version}`, `v{version}-{branch}`, `{name}-{version}`) and read back.

use std::fmt;
use std::str::FromStr;

use crate::semver::Version;

/// A tag template with exactly one `{version}` placeholder and optional `{name}` and
/// `{branch}` placeholders.
///
/// Whatever follows `{version}` is part of the template, never a prerelease: with
/// `v{version}-{branch}` and branch `telepace`, the tag `v1.0.0-telepace` is version `1.0.0`.
///
/// ```
/// use verso_core::tag_template::{TagContext, TagTemplate};
/// let template: TagTemplate = "v{version}-{branch}".parse().unwrap();
/// let context = TagContext { name: None, branch: Some("telepace") };
/// let matcher = template.matcher(&context).unwrap();
/// assert_eq!(matcher.version_of("v1.0.0-telepace").unwrap().to_string(), "1.0.0");
/// assert_eq!(matcher.version_of("v1.1.0-rc.1-telepace").unwrap().to_string(), "1.1.0-rc.1");
/// assert!(matcher.version_of("v1.0.0-other").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagTemplate {
    text: String,
}

/// Values for the placeholders other than `{version}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TagContext<'a> {
    pub name: Option<&'a str>,
    pub branch: Option<&'a str>,
}

/// A template with its placeholders filled in: a fixed prefix and suffix around the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMatcher {
    prefix: String,
    suffix: String,
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("tag template `{0}` has no `{{version}}` placeholder")]
    MissingVersion(String),
    #[error("tag template `{0}` has more than one `{{version}}` placeholder")]
    RepeatedVersion(String),
    #[error("tag template `{template}` has an unknown placeholder `{{{placeholder}}}`; expected `{{version}}`, `{{name}}` or `{{branch}}`")]
    UnknownPlaceholder {
        template: String,
        placeholder: String,
    },
    #[error("tag template `{template}` uses `{{{placeholder}}}` but no {placeholder} is known")]
    MissingValue {
        template: String,
        placeholder: &'static str,
    },
}

const VERSION: &str = "{version}";

impl FromStr for TagTemplate {
    type Err = TemplateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let occurrences = text.matches(VERSION).count();
        if occurrences == 0 {
            return Err(TemplateError::MissingVersion(text.to_owned()));
        }
        if occurrences > 1 {
            return Err(TemplateError::RepeatedVersion(text.to_owned()));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after.find('}').unwrap_or(after.len());
            let placeholder = &after[..close];
            if !matches!(placeholder, "version" | "name" | "branch") {
                return Err(TemplateError::UnknownPlaceholder {
                    template: text.to_owned(),
                    placeholder: placeholder.to_owned(),
                });
            }
            rest = after.get(close + 1..).unwrap_or("");
        }
        Ok(TagTemplate {
            text: text.to_owned(),
        })
    }
}

impl fmt::Display for TagTemplate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

impl Default for TagTemplate {
    fn default() -> Self {
        TagTemplate {
            text: "v{version}".to_owned(),
        }
    }
}

impl TagTemplate {
    /// `<prefix>{version}`, the `--tag-prefix` shorthand.
    pub fn with_prefix(prefix: &str) -> Result<Self, TemplateError> {
        format!("{prefix}{VERSION}").parse()
    }

    /// Fills in `{name}` and `{branch}`.
    pub fn matcher(&self, context: &TagContext<'_>) -> Result<TagMatcher, TemplateError> {
        let filled = self.fill("{name}", "name", context.name)?;
        let filled = TagTemplate { text: filled }.fill("{branch}", "branch", context.branch)?;
        let (prefix, suffix) = filled
            .split_once(VERSION)
            .ok_or_else(|| TemplateError::MissingVersion(self.text.clone()))?;
        Ok(TagMatcher {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        })
    }

    fn fill(
        &self,
        placeholder: &str,
        label: &'static str,
        value: Option<&str>,
    ) -> Result<String, TemplateError> {
        if !self.text.contains(placeholder) {
            return Ok(self.text.clone());
        }
        match value {
            Some(value) => Ok(self.text.replace(placeholder, value)),
            None => Err(TemplateError::MissingValue {
                template: self.text.clone(),
                placeholder: label,
            }),
        }
    }
}

impl TagMatcher {
    /// The version a tag names, if the tag follows this template.
    pub fn version_of(&self, tag: &str) -> Option<Version> {
        let middle = tag.strip_prefix(&self.prefix)?.strip_suffix(&self.suffix)?;
        Version::parse_strict(middle).ok()
    }

    /// The tag name of a version.
    pub fn tag_for(&self, version: &Version) -> String {
        format!("{}{}{}", self.prefix, version, self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(template: &str, name: Option<&str>, branch: Option<&str>) -> TagMatcher {
        template
            .parse::<TagTemplate>()
            .expect("valid template")
            .matcher(&TagContext { name, branch })
            .expect("placeholders known")
    }

    #[test]
    fn reads_and_writes_every_documented_template() {
        let version: Version = "1.2.0".parse().expect("valid");
        for (template, tag) in [
            ("v{version}", "v1.2.0"),
            ("{name}@{version}", "@scope/pkg@1.2.0"),
            ("{name}-v{version}", "@scope/pkg-v1.2.0"),
            ("{name}-{version}", "@scope/pkg-1.2.0"),
            ("v{version}-{branch}", "v1.2.0-release/2.x"),
        ] {
            let matcher = matcher(template, Some("@scope/pkg"), Some("release/2.x"));
            assert_eq!(matcher.tag_for(&version), tag);
            assert_eq!(matcher.version_of(tag), Some(version.clone()), "{template}");
        }
    }

    #[test]
    fn ignores_tags_of_other_templates() {
        let matcher = matcher("{name}-{version}", Some("telepace-server"), None);
        assert_eq!(
            matcher.version_of("telepace-server-0.1.2"),
            "0.1.2".parse().ok()
        );
        assert_eq!(matcher.version_of("telepace-web-0.1.2"), None);
        assert_eq!(matcher.version_of("telepace-server-latest"), None);
        assert_eq!(matcher.version_of("telepace-server-v0.1.2"), None);
    }

    #[test]
    fn rejects_templates_without_version_or_with_unknown_placeholders() {
        assert!(matches!(
            "release-{name}".parse::<TagTemplate>(),
            Err(TemplateError::MissingVersion(_))
        ));
        assert!(matches!(
            "{tag}-{version}".parse::<TagTemplate>(),
            Err(TemplateError::UnknownPlaceholder { .. })
        ));
        let template: TagTemplate = "{name}@{version}".parse().expect("valid");
        assert!(matches!(
            template.matcher(&TagContext::default()),
            Err(TemplateError::MissingValue { .. })
        ));
    }
}
