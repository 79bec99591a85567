//! Format-preserving edits: set a string value at a key path in a JSON, TOML or YAML text,
//! or the whole content of a plain `VERSION` file.
//!
//! Every edit finds the byte span of the value's literal in the original text and splices
//! a new literal in its place, in the same quote style. Everything else — comments, key
//! order, indentation, line endings, the final newline — is left byte for byte. A file that
//! does not parse, or has no string at the path, is refused with the line to look at, and
//! nothing is changed.
//!
//! ```
//! use verso_manifest::edit::{set_string, Format};
//! let text = "{\n  \"name\": \"a\",\n  \"version\": \"1.0.0\"\n}\n";
//! let edited = set_string(Format::Json, text, &["version"], "1.1.0").unwrap();
//! assert_eq!(edited, text.replace("1.0.0", "1.1.0"));
//! ```

use std::ops::Range;

/// The syntax of a file to edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
    Yaml,
    /// The whole file is the value (a `VERSION` file): surrounding whitespace is kept.
    Plain,
}

/// Why an edit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("no `{path}` in the file")]
    Missing { path: String },
    #[error("line {line}: `{path}` is not a string")]
    NotAString { path: String, line: usize },
    #[error("`{value}` cannot be written as a {format} string")]
    Unwritable { value: String, format: &'static str },
}

/// Returns `text` with the string at `path` set to `value`.
pub fn set_string(
    format: Format,
    text: &str,
    path: &[&str],
    value: &str,
) -> Result<String, EditError> {
    let dotted = path.join(".");
    let (span, literal) = match format {
        Format::Json => {
            let span = json::find(text, path)?.ok_or(EditError::Missing { path: dotted })?;
            let literal = serde_json::to_string(value).map_err(|_| EditError::Unwritable {
                value: value.to_owned(),
                format: "JSON",
            })?;
            (span, literal)
        }
        Format::Toml => toml_literal(text, path, value)?,
        Format::Yaml => yaml::find(text, path, value)?,
        Format::Plain => {
            let start = text.len() - text.trim_start().len();
            let end = text.trim_end().len().max(start);
            (start..end, value.to_owned())
        }
    };
    let mut edited = String::with_capacity(text.len() + literal.len());
    edited.push_str(&text[..span.start]);
    edited.push_str(&literal);
    edited.push_str(&text[span.end..]);
    Ok(edited)
}

fn toml_literal(
    text: &str,
    path: &[&str],
    value: &str,
) -> Result<(Range<usize>, String), EditError> {
    let document = toml_edit::Document::parse(text).map_err(|error| EditError::Malformed {
        line: error
            .span()
            .map_or(1, |span| crate::line_of(text, span.start)),
        message: error.message().to_owned(),
    })?;
    let dotted = path.join(".");
    let missing = || EditError::Missing {
        path: dotted.clone(),
    };
    let (last, parents) = path.split_last().ok_or_else(missing)?;
    let mut table: &dyn toml_edit::TableLike = document.as_table();
    for key in parents {
        table = table
            .get(key)
            .and_then(|item| item.as_table_like())
            .ok_or_else(missing)?;
    }
    let item = table.get(last).ok_or_else(missing)?;
    let formatted = match item.as_value() {
        Some(toml_edit::Value::String(formatted)) => formatted,
        _ => {
            let line = item
                .span()
                .map_or(1, |span| crate::line_of(text, span.start));
            return Err(EditError::NotAString { path: dotted, line });
        }
    };
    let span = formatted.span().ok_or_else(missing)?;
    let old = &text[span.clone()];
    let simple =
        !value.contains(['\'', '"', '\\', '\n', '\r']) && !value.chars().any(char::is_control);
    let literal = if old.starts_with('\'') && !old.starts_with("'''") && simple {
        format!("'{value}'")
    } else if simple {
        format!("\"{value}\"")
    } else {
        toml_edit::Value::from(value).to_string().trim().to_owned()
    };
    Ok((span, literal))
}

mod json {
    //! Just enough of a JSON reader to know where each value starts and ends.

    use std::ops::Range;

    use super::EditError;

    /// The span of the string literal (quotes included) at `path`; `None` when absent.
    pub(super) fn find(text: &str, path: &[&str]) -> Result<Option<Range<usize>>, EditError> {
        // Validate first, so that a broken file is named by serde_json's own message.
        serde_json::from_str::<serde_json::Value>(text).map_err(|error| EditError::Malformed {
            line: error.line(),
            message: error.to_string(),
        })?;
        let bytes = text.as_bytes();
        let mut position = skip_space(bytes, 0);
        for (depth, key) in path.iter().enumerate() {
            if bytes.get(position) != Some(&b'{') {
                return Ok(None);
            }
            let Some(found) = member(text, position, key)? else {
                return Ok(None);
            };
            position = found;
            if depth + 1 == path.len() {
                if bytes.get(position) != Some(&b'"') {
                    return Err(EditError::NotAString {
                        path: path.join("."),
                        line: crate::line_of(text, position),
                    });
                }
                let end = string_end(bytes, position);
                return Ok(Some(position..end));
            }
        }
        Ok(None)
    }

    /// The start of the value of `key` in the object at `start`.
    fn member(text: &str, start: usize, key: &str) -> Result<Option<usize>, EditError> {
        let bytes = text.as_bytes();
        let mut position = skip_space(bytes, start + 1);
        while bytes.get(position) == Some(&b'"') {
            let key_end = string_end(bytes, position);
            let name: String = serde_json::from_str(&text[position..key_end]).map_err(|error| {
                EditError::Malformed {
                    line: crate::line_of(text, position),
                    message: error.to_string(),
                }
            })?;
            position = skip_space(bytes, key_end);
            position = skip_space(bytes, position + 1); // the `:`
            if name == key {
                return Ok(Some(position));
            }
            position = skip_space(bytes, value_end(bytes, position));
            if bytes.get(position) == Some(&b',') {
                position = skip_space(bytes, position + 1);
            }
        }
        Ok(None)
    }

    fn skip_space(bytes: &[u8], mut position: usize) -> usize {
        while bytes.get(position).is_some_and(u8::is_ascii_whitespace) {
            position += 1;
        }
        position
    }

    /// The end (exclusive) of the string literal starting at `start`.
    fn string_end(bytes: &[u8], start: usize) -> usize {
        let mut position = start + 1;
        while let Some(&byte) = bytes.get(position) {
            match byte {
                b'\\' => position += 2,
                b'"' => return position + 1,
                _ => position += 1,
            }
        }
        bytes.len()
    }

    /// The end (exclusive) of the value starting at `start` (the text is valid JSON).
    fn value_end(bytes: &[u8], start: usize) -> usize {
        match bytes.get(start) {
            Some(b'"') => string_end(bytes, start),
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                let mut position = start;
                while let Some(&byte) = bytes.get(position) {
                    match byte {
                        b'"' => {
                            position = string_end(bytes, position);
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return position + 1;
                            }
                        }
                        _ => {}
                    }
                    position += 1;
                }
                bytes.len()
            }
            _ => {
                let mut position = start;
                while bytes.get(position).is_some_and(|byte| {
                    !matches!(byte, b',' | b'}' | b']') && !byte.is_ascii_whitespace()
                }) {
                    position += 1;
                }
                position
            }
        }
    }
}

mod yaml {
    //! Block mappings only (what `Chart.yaml` and `values.yaml` use for versions): a key is
    //! found on its own line, under its parent at a deeper indentation.

    use std::ops::Range;

    use super::EditError;

    pub(super) fn find(
        text: &str,
        path: &[&str],
        value: &str,
    ) -> Result<(Range<usize>, String), EditError> {
        serde_saphyr::from_str::<serde::de::IgnoredAny>(text).map_err(|error| {
            EditError::Malformed {
                line: error
                    .location()
                    .map_or(1, |location| usize::try_from(location.line()).unwrap_or(1)),
                message: error.to_string(),
            }
        })?;
        let dotted = path.join(".");
        let missing = || EditError::Missing {
            path: dotted.clone(),
        };
        // (line start offset, line without its line ending)
        let mut lines = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            lines.push((offset, line.trim_end_matches(['\n', '\r'])));
            offset += line.len();
        }
        let mut from = 0;
        let mut parent_indent: Option<usize> = None;
        for (depth, key) in path.iter().enumerate() {
            let mut found = None;
            for (index, (_, line)) in lines.iter().enumerate().skip(from) {
                let content = line.trim_start();
                if content.is_empty() || content.starts_with('#') {
                    continue;
                }
                let indent = line.len() - content.len();
                if parent_indent.is_some_and(|parent| indent <= parent) {
                    break;
                }
                let unquoted = content.trim_start_matches(['"', '\'']);
                let Some(rest) = unquoted.strip_prefix(key) else {
                    continue;
                };
                let rest = rest.trim_start_matches(['"', '\'']);
                if rest.starts_with(':') {
                    found = Some((index, indent));
                    break;
                }
            }
            let (index, indent) = found.ok_or_else(missing)?;
            if depth + 1 < path.len() {
                from = index + 1;
                parent_indent = Some(indent);
                continue;
            }
            let (start, line) = lines[index];
            let colon = line.find(':').ok_or_else(missing)?;
            let after = &line[colon + 1..];
            let value_start = colon + 1 + (after.len() - after.trim_start().len());
            let rest = &line[value_start..];
            let (length, literal) = match rest.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let close = rest[1..].find(quote).map_or(rest.len(), |end| end + 2);
                    if value.contains(quote) || value.contains('\\') {
                        return Err(EditError::Unwritable {
                            value: value.to_owned(),
                            format: "YAML",
                        });
                    }
                    (close, format!("{quote}{value}{quote}"))
                }
                Some(_) => {
                    let end = rest.find(" #").unwrap_or(rest.len());
                    (rest[..end].trim_end().len(), value.to_owned())
                }
                None => {
                    return Err(EditError::NotAString {
                        path: dotted,
                        line: index + 1,
                    })
                }
            };
            let begin = start + value_start;
            return Ok((begin..begin + length, literal));
        }
        Err(missing())
    }
}
