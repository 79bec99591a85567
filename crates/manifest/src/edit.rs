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

/// One step of a path into a document: a key of a mapping or an index of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for Segment<'a> {
    fn from(key: &'a str) -> Self {
        Segment::Key(key)
    }
}

impl std::fmt::Display for Segment<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Segment::Key(key) => formatter.write_str(key),
            Segment::Index(index) => write!(formatter, "[{index}]"),
        }
    }
}

/// `a.b[2].c`, for messages.
fn dotted(path: &[Segment<'_>]) -> String {
    let mut text = String::new();
    for segment in path {
        if matches!(segment, Segment::Key(_)) && !text.is_empty() {
            text.push('.');
        }
        text.push_str(&segment.to_string());
    }
    text
}

/// Returns `text` with the string at the key path `path` set to `value`.
pub fn set_string(
    format: Format,
    text: &str,
    path: &[&str],
    value: &str,
) -> Result<String, EditError> {
    let path: Vec<Segment<'_>> = path.iter().map(|key| Segment::Key(key)).collect();
    set_string_at(format, text, &path, value)
}

/// Returns `text` with the string at `path` (keys and sequence indexes) set to `value`.
pub fn set_string_at(
    format: Format,
    text: &str,
    path: &[Segment<'_>],
    value: &str,
) -> Result<String, EditError> {
    let (span, literal) = match format {
        Format::Json => {
            let span =
                json::find(text, path)?.ok_or_else(|| EditError::Missing { path: dotted(path) })?;
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
    Ok(splice(text, span, &literal))
}

/// `text` with `span` replaced by `literal`.
pub(crate) fn splice(text: &str, span: Range<usize>, literal: &str) -> String {
    let mut edited = String::with_capacity(text.len() + literal.len());
    edited.push_str(&text[..span.start]);
    edited.push_str(literal);
    edited.push_str(&text[span.end..]);
    edited
}

/// A TOML table or array on the way down a path.
enum TomlNode<'a> {
    Table(&'a dyn toml_edit::TableLike),
    Array(&'a toml_edit::Array),
    Tables(&'a toml_edit::ArrayOfTables),
    Value(&'a toml_edit::Value),
}

impl<'a> TomlNode<'a> {
    fn of_item(item: &'a toml_edit::Item) -> Option<TomlNode<'a>> {
        match item {
            toml_edit::Item::None => None,
            toml_edit::Item::Table(table) => Some(TomlNode::Table(table)),
            toml_edit::Item::ArrayOfTables(tables) => Some(TomlNode::Tables(tables)),
            toml_edit::Item::Value(value) => Some(TomlNode::of_value(value)),
        }
    }

    fn of_value(value: &'a toml_edit::Value) -> TomlNode<'a> {
        match value {
            toml_edit::Value::InlineTable(table) => TomlNode::Table(table),
            toml_edit::Value::Array(array) => TomlNode::Array(array),
            other => TomlNode::Value(other),
        }
    }

    fn step(self, segment: Segment<'_>) -> Option<TomlNode<'a>> {
        match (self, segment) {
            (TomlNode::Table(table), Segment::Key(key)) => table.get(key).and_then(Self::of_item),
            (TomlNode::Array(array), Segment::Index(index)) => array.get(index).map(Self::of_value),
            (TomlNode::Tables(tables), Segment::Index(index)) => {
                tables.get(index).map(|table| TomlNode::Table(table))
            }
            _ => None,
        }
    }

    fn span(&self) -> Option<Range<usize>> {
        match self {
            TomlNode::Table(table) => table
                .get_values()
                .first()
                .and_then(|(keys, _)| keys.first().and_then(|key| key.span())),
            TomlNode::Array(array) => array.span(),
            TomlNode::Tables(tables) => tables.get(0).and_then(toml_edit::Table::span),
            TomlNode::Value(value) => value.span(),
        }
    }
}

fn toml_literal(
    text: &str,
    path: &[Segment<'_>],
    value: &str,
) -> Result<(Range<usize>, String), EditError> {
    let document = toml_edit::Document::parse(text).map_err(|error| EditError::Malformed {
        line: error
            .span()
            .map_or(1, |span| crate::line_of(text, span.start)),
        message: error.message().to_owned(),
    })?;
    let missing = || EditError::Missing { path: dotted(path) };
    let mut node = TomlNode::Table(document.as_table());
    for segment in path {
        node = node.step(*segment).ok_or_else(missing)?;
    }
    let formatted = match node {
        TomlNode::Value(toml_edit::Value::String(formatted)) => formatted,
        other => {
            let line = other
                .span()
                .map_or(1, |span| crate::line_of(text, span.start));
            return Err(EditError::NotAString {
                path: dotted(path),
                line,
            });
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

    use super::{EditError, Segment};

    /// The span of the string literal (quotes included) at `path`; `None` when absent.
    pub(super) fn find(
        text: &str,
        path: &[Segment<'_>],
    ) -> Result<Option<Range<usize>>, EditError> {
        // Validate first, so that a broken file is named by serde_json's own message.
        serde_json::from_str::<serde_json::Value>(text).map_err(|error| EditError::Malformed {
            line: error.line(),
            message: error.to_string(),
        })?;
        let bytes = text.as_bytes();
        let mut position = skip_space(bytes, 0);
        for segment in path {
            let found = match (bytes.get(position), segment) {
                (Some(b'{'), Segment::Key(key)) => member(text, position, key)?,
                (Some(b'['), Segment::Index(index)) => element(bytes, position, *index),
                _ => None,
            };
            let Some(found) = found else {
                return Ok(None);
            };
            position = found;
        }
        if bytes.get(position) != Some(&b'"') {
            return Err(EditError::NotAString {
                path: super::dotted(path),
                line: crate::line_of(text, position),
            });
        }
        Ok(Some(position..string_end(bytes, position)))
    }

    /// The start of element `index` of the array at `start`.
    fn element(bytes: &[u8], start: usize, index: usize) -> Option<usize> {
        let mut position = skip_space(bytes, start + 1);
        for _ in 0..index {
            if matches!(bytes.get(position), Some(b']') | None) {
                return None;
            }
            position = skip_space(bytes, value_end(bytes, position));
            if bytes.get(position) != Some(&b',') {
                return None;
            }
            position = skip_space(bytes, position + 1);
        }
        (!matches!(bytes.get(position), Some(b']') | None)).then_some(position)
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
    //! Finds a scalar by walking the parser's events, which carry byte spans: block and
    //! flow styles, sequences, quoted keys and comments are all understood.

    use std::ops::Range;

    use granit_parser::{Event, Parser, ScalarStyle, Span};

    use super::{EditError, Segment};

    struct Events<'a> {
        text: &'a str,
        parser: Parser<'a, granit_parser::StrInput<'a>>,
    }

    impl<'a> Events<'a> {
        fn next(&mut self) -> Result<(Event<'a>, Span), EditError> {
            loop {
                match self.parser.next_event() {
                    None => {
                        return Err(EditError::Malformed {
                            line: self.text.lines().count().max(1),
                            message: "unexpected end of the document".to_owned(),
                        })
                    }
                    Some(Err(error)) => {
                        return Err(EditError::Malformed {
                            line: error.marker().line(),
                            message: error.to_string(),
                        })
                    }
                    Some(Ok((Event::Comment(..), _))) => {}
                    Some(Ok(event)) => return Ok(event),
                }
            }
        }

        /// Consumes the rest of a node whose first event was `first`.
        fn skip(&mut self, first: &Event<'a>) -> Result<(), EditError> {
            let mut depth = usize::from(matches!(
                first,
                Event::MappingStart(..) | Event::SequenceStart(..)
            ));
            while depth > 0 {
                match self.next()?.0 {
                    Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                    Event::MappingEnd | Event::SequenceEnd => depth -= 1,
                    _ => {}
                }
            }
            Ok(())
        }

        /// The scalar at `path` below the node that starts with `first`.
        fn descend(
            &mut self,
            first: (Event<'a>, Span),
            path: &[Segment<'_>],
        ) -> Result<Option<(Span, ScalarStyle)>, EditError> {
            let (event, span) = first;
            let Some((segment, rest)) = path.split_first() else {
                return Ok(match event {
                    Event::Scalar(_, style, ..) => Some((span, style)),
                    _ => None,
                });
            };
            match (&event, segment) {
                (Event::MappingStart(..), Segment::Key(wanted)) => loop {
                    let key = self.next()?;
                    match &key.0 {
                        Event::MappingEnd => return Ok(None),
                        Event::Scalar(name, ..) if name == wanted => {
                            let value = self.next()?;
                            return self.descend(value, rest);
                        }
                        other => {
                            self.skip(other)?;
                            let value = self.next()?;
                            self.skip(&value.0)?;
                        }
                    }
                },
                (Event::SequenceStart(..), Segment::Index(wanted)) => {
                    for index in 0.. {
                        let item = self.next()?;
                        if matches!(item.0, Event::SequenceEnd) {
                            return Ok(None);
                        }
                        if index == *wanted {
                            return self.descend(item, rest);
                        }
                        self.skip(&item.0)?;
                    }
                    Ok(None)
                }
                _ => Ok(None),
            }
        }
    }

    pub(super) fn find(
        text: &str,
        path: &[Segment<'_>],
        value: &str,
    ) -> Result<(Range<usize>, String), EditError> {
        // Validate the whole stream first, so that a broken file is refused even when the
        // value comes before the mistake.
        let mut check = Parser::new_from_str(text);
        while let Some(event) = check.next_event() {
            if let Err(error) = event {
                return Err(EditError::Malformed {
                    line: error.marker().line(),
                    message: error.to_string(),
                });
            }
        }
        let missing = || EditError::Missing {
            path: super::dotted(path),
        };
        let mut events = Events {
            text,
            parser: Parser::new_from_str(text),
        };
        // StreamStart, DocumentStart, then the root node.
        let mut root = events.next()?;
        while matches!(root.0, Event::StreamStart | Event::DocumentStart(..)) {
            root = events.next()?;
        }
        if matches!(root.0, Event::StreamEnd) {
            return Err(missing());
        }
        let (span, style) = match events.descend(root, path)? {
            Some(found) => found,
            None => return Err(missing()),
        };
        let range = span.byte_range().ok_or_else(missing)?;
        let literal = match style {
            ScalarStyle::Plain if is_plain(value) => value.to_owned(),
            ScalarStyle::Plain | ScalarStyle::DoubleQuoted => serde_json::to_string(value)
                .map_err(|_| EditError::Unwritable {
                    value: value.to_owned(),
                    format: "YAML",
                })?,
            ScalarStyle::SingleQuoted => format!("'{}'", value.replace('\'', "''")),
            ScalarStyle::Literal | ScalarStyle::Folded => {
                return Err(EditError::NotAString {
                    path: super::dotted(path),
                    line: crate::line_of(text, range.start),
                })
            }
        };
        Ok((range, literal))
    }

    /// Whether `value` reads back as the same string when written without quotes, in block
    /// or flow context.
    fn is_plain(value: &str) -> bool {
        let Some(first) = value.chars().next() else {
            return false;
        };
        let indicator = "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace();
        let breaks = value.contains(": ")
            || value.contains(" #")
            || value.ends_with(':')
            || value.ends_with(char::is_whitespace)
            || value.contains([',', '[', ']', '{', '}', '\n', '\r', '\t']);
        let reserved = matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        );
        // A number would read back as a number (`1.10` → 1.1).
        let numeric = value.parse::<f64>().is_ok()
            || value.starts_with("0x")
            || value.starts_with("0o")
            || value.starts_with(".inf")
            || value.starts_with(".nan");
        !indicator && !breaks && !reserved && !numeric
    }
}
