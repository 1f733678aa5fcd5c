//! The output rules the listing commands share: a header line and padded
//! columns, `-field` to choose columns by name, and `-fmt <delimiter>` for
//! one delimited line per record and no header (the form scripts parse).

use super::CmdError;
use super::args::{Args, Arity};

/// The flags every listing takes for its layout.
pub const SELECT: [(&str, Arity); 2] = [("-field", Arity::Many), ("-fmt", Arity::One)];

/// How the caller wants a listing laid out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Select {
    pub fields: Option<Vec<String>>,
    pub fmt: Option<String>,
}

impl Select {
    pub fn from(a: &Args) -> Select {
        Select {
            fields: a.values("-field").map(<[String]>::to_vec),
            fmt: a.one("-fmt").map(str::to_string),
        }
    }
}

/// A listing: its field names (what `-field` takes), the header of each,
/// and either fixed column widths or widths from the longest value.
pub struct Table {
    pub fields: &'static [&'static str],
    pub headers: &'static [&'static str],
    /// Fixed widths, as the VIOS prints `lsdev` and `lspv`; `None` (or a
    /// width of 0): a column as wide as its longest value and one blank.
    pub widths: Option<&'static [usize]>,
    /// A blank line between the header and the rows (`lsdev -attr`).
    pub gap: bool,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The rendered listing; an unknown `-field` name is `usage`'s error.
    pub fn render(&self, sel: &Select, usage: &'static str) -> Result<String, CmdError> {
        let cols: Vec<usize> = match &sel.fields {
            None => (0..self.fields.len()).collect(),
            Some(names) => names
                .iter()
                .map(|n| {
                    self.fields
                        .iter()
                        .position(|f| f.eq_ignore_ascii_case(n))
                        .ok_or(CmdError::Usage(usage))
                })
                .collect::<Result<_, _>>()?,
        };
        let cell = |row: &[String], c: usize| row.get(c).cloned().unwrap_or_default();
        let mut out = String::new();
        if let Some(d) = &sel.fmt {
            for row in &self.rows {
                let vals: Vec<String> = cols
                    .iter()
                    .map(|&c| {
                        let v = cell(row, c);
                        // An empty field shows as a blank, so the record
                        // keeps its number of fields.
                        if v.is_empty() { " ".to_string() } else { v }
                    })
                    .collect();
                out.push_str(&vals.join(d));
                out.push('\n');
            }
            return Ok(out);
        }
        let width = |i: usize, c: usize| -> usize {
            let fixed = self
                .widths
                .and_then(|w| w.get(c).copied())
                .filter(|w| *w > 0);
            match fixed {
                Some(w) => w,
                None => {
                    let longest = self
                        .rows
                        .iter()
                        .map(|r| cell(r, c).len())
                        .chain(std::iter::once(self.headers.get(c).map_or(0, |h| h.len())))
                        .max()
                        .unwrap_or(0);
                    if i + 1 == cols.len() { 0 } else { longest + 1 }
                }
            }
        };
        let line = |vals: Vec<String>| -> String {
            let mut l = String::new();
            for (i, (&c, v)) in cols.iter().zip(vals).enumerate() {
                let w = width(i, c);
                l.push_str(&format!("{v:<w$}"));
            }
            format!("{}\n", l.trim_end())
        };
        out.push_str(&line(
            cols.iter()
                .map(|&c| self.headers.get(c).copied().unwrap_or("").to_string())
                .collect(),
        ));
        if self.gap {
            out.push('\n');
        }
        for row in &self.rows {
            out.push_str(&line(cols.iter().map(|&c| cell(row, c)).collect()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(widths: Option<&'static [usize]>) -> Table {
        Table {
            fields: &["name", "status", "description"],
            headers: &["name", "status", "description"],
            widths,
            gap: false,
            rows: vec![
                vec!["ent0".into(), "Available".into(), "Ethernet".into()],
                vec!["vhost10".into(), "".into(), "Virtual SCSI".into()],
            ],
        }
    }

    #[test]
    fn columns_are_fixed_or_as_wide_as_their_longest_value() {
        assert_eq!(
            t(Some(&[17, 12])).render(&Select::default(), "u").unwrap(),
            "name             status      description\nent0             Available   Ethernet\nvhost10                      Virtual SCSI\n"
        );
        assert_eq!(
            t(None).render(&Select::default(), "u").unwrap(),
            "name    status    description\nent0    Available Ethernet\nvhost10           Virtual SCSI\n"
        );
    }

    #[test]
    fn fmt_prints_delimited_records_without_a_header_and_field_chooses() {
        let sel = Select {
            fields: Some(vec!["description".into(), "status".into()]),
            fmt: Some(":".into()),
        };
        assert_eq!(
            t(None).render(&sel, "u").unwrap(),
            "Ethernet:Available\nVirtual SCSI: \n"
        );
        let sel = Select {
            fields: Some(vec!["bogus".into()]),
            fmt: None,
        };
        assert_eq!(t(None).render(&sel, "u"), Err(CmdError::Usage("u")));
    }
}
