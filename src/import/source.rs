//! A file as a user gives it → a document in the text layout, with the place in
//! the file of every line: the format is told by the name's extension or the
//! bytes, each format has its reader, and `--town`, `--county` and `--published`
//! stand in for what a file does not say.

use std::sync::LazyLock;

use regex::Regex;

use super::document::{Document, TITLE_SUFFIX};
use super::layout::{self, Block, parse_month};
use super::text::fold;
use super::{ImportError, LineError, Location, archive, csv, docx, xlsx};

/// The formats lvzhi reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The text layout of `seeds/wuqia-town-duty-list-2025-07.txt`, UTF-8.
    Text,
    /// A Word document (.docx).
    Docx,
    /// An Excel workbook (.xlsx): lvzhi's own export or one made by hand.
    Xlsx,
    /// A CSV file, UTF-8: lvzhi's own export or one saved from a workbook.
    Csv,
}

impl Format {
    /// The format of a file: by its name's extension, else by its first bytes.
    pub fn of(file_name: &str, bytes: &[u8]) -> Result<Format, ImportError> {
        let name = file_name.trim().to_lowercase();
        let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
        match extension {
            "docx" => return Ok(Format::Docx),
            "xlsx" => return Ok(Format::Xlsx),
            "csv" => return Ok(Format::Csv),
            "doc" | "wps" => {
                return Err(ImportError::Unreadable(format!(
                    "{file_name} is an old Word or WPS document: save it as a Word document (.docx) and import that"
                )));
            }
            "xls" | "et" => {
                return Err(ImportError::Unreadable(format!(
                    "{file_name} is an old Excel or WPS workbook: save it as an Excel workbook (.xlsx) and import that"
                )));
            }
            _ => {}
        }
        if bytes.starts_with(b"PK\x03\x04") {
            return archive::kind(bytes);
        }
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            return Err(ImportError::Unreadable(format!(
                "{file_name} is an old binary Word or Excel file: save it as .docx or .xlsx and import that"
            )));
        }
        Ok(Format::Text)
    }
}

/// What `lvzhi import` may say of a list that its file does not say: each one,
/// when given, replaces what the file says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// The town or street office, e.g. `乌恰镇`.
    pub town: Option<String>,
    /// The county, e.g. `乌恰县`, or in full: `新疆维吾尔自治区克孜勒苏柯尔克孜自治州乌恰县`.
    pub county: Option<String>,
    /// The month the list was published: `2025-07` (or `2025年7月`).
    pub published: Option<String>,
}

/// A county named in full or in part → (region, prefecture, county).
static COUNTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(.+?(?:自治区|省|市))?(.+?(?:自治州|地区|盟|市))?(.+?(?:自治县|自治旗|县|旗|区|市))$",
    )
    .expect("valid regex")
});

impl Overrides {
    /// The month, checked: `YYYY-MM`.
    fn month(&self) -> Result<Option<String>, ImportError> {
        let Some(given) = &self.published else {
            return Ok(None);
        };
        let folded = fold(given);
        let parsed = folded
            .split_once('-')
            .and_then(|(y, m)| {
                let month: u32 = m.parse().ok()?;
                (y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()) && (1..=12).contains(&month))
                    .then(|| format!("{y}-{month:02}"))
            })
            .or_else(|| parse_month(given));
        parsed.map(Some).ok_or_else(|| {
            option_error(
                "--published",
                format!("`{given}` is not a month: write it as YYYY-MM, e.g. 2025-07"),
            )
        })
    }

    /// The county, checked: (region, prefecture, county).
    fn county(&self) -> Result<Option<(String, String, String)>, ImportError> {
        let Some(given) = &self.county else {
            return Ok(None);
        };
        let folded = fold(given);
        let caps = COUNTY.captures(&folded).ok_or_else(|| {
            option_error(
                "--county",
                format!("`{given}` is not a county name (e.g. 乌恰县, or in full 新疆维吾尔自治区克孜勒苏柯尔克孜自治州乌恰县)"),
            )
        })?;
        let part = |i: usize| caps.get(i).map_or("", |m| m.as_str()).to_owned();
        Ok(Some((part(1), part(2), part(3))))
    }

    /// The town, checked.
    fn town(&self) -> Result<Option<String>, ImportError> {
        match &self.town {
            None => Ok(None),
            Some(town) if fold(town).is_empty() => {
                Err(option_error("--town", "the town's name is empty"))
            }
            Some(town) => Ok(Some(fold(town))),
        }
    }

    /// The title line these overrides make, for a file that has none.
    fn title(&self) -> Result<Option<String>, ImportError> {
        match (self.county()?, self.town()?) {
            (Some((region, prefecture, county)), Some(town)) => Ok(Some(format!(
                "{region}{prefecture}{county}{town}{TITLE_SUFFIX}"
            ))),
            _ => Ok(None),
        }
    }

    /// Check every override, before any file is read.
    pub fn check(&self) -> Result<(), ImportError> {
        self.month()?;
        self.county()?;
        self.town()?;
        Ok(())
    }

    /// Replace what the document says with what was given.
    pub fn apply(&self, document: &mut Document) -> Result<(), ImportError> {
        if let Some(month) = self.month()? {
            document.published_on = month;
        }
        if let Some((region, prefecture, county)) = self.county()? {
            document.region = region;
            document.prefecture = prefecture;
            document.county = county;
        }
        if let Some(town) = self.town()? {
            document.town = town;
        }
        if self.county.is_some() || self.town.is_some() {
            document.title = format!("{}{}{TITLE_SUFFIX}", document.county, document.town);
        }
        Ok(())
    }
}

fn option_error(option: &str, message: impl Into<String>) -> ImportError {
    ImportError::Malformed(vec![LineError::at(option, message)])
}

/// A file read into the text layout.
#[derive(Clone, Debug)]
pub struct Source {
    /// The format it was read as.
    pub format: Format,
    /// The document in the text layout.
    pub text: String,
    /// For a structured file, where each line (0-based) came from.
    places: Option<Vec<String>>,
}

impl Source {
    /// Read a file of any supported format.
    pub fn read(file_name: &str, bytes: &[u8], overrides: &Overrides) -> Result<Self, ImportError> {
        let format = Format::of(file_name, bytes)?;
        let blocks: Vec<Block> = match format {
            Format::Text => {
                let text = String::from_utf8(bytes.to_vec()).map_err(|e| {
                    ImportError::Unreadable(format!(
                        "{file_name} is not UTF-8 text (first bad byte at offset {}); save it as UTF-8, or as .docx or .xlsx",
                        e.utf8_error().valid_up_to()
                    ))
                })?;
                return Ok(Source {
                    format,
                    text,
                    places: None,
                });
            }
            Format::Docx => docx::blocks(bytes)?,
            Format::Xlsx => xlsx::blocks(bytes)?,
            Format::Csv => csv::blocks(bytes)?,
        };
        let title = overrides.title()?;
        let month = overrides.month()?;
        let composed = layout::compose(&blocks, title.as_deref(), month.as_deref())?;
        Ok(Source {
            format,
            text: composed.text,
            places: Some(composed.places),
        })
    }

    /// An error about the text layout's lines → the same error naming places in the file.
    pub fn locate(&self, error: ImportError) -> ImportError {
        let Some(places) = &self.places else {
            return error;
        };
        let place = |at: Location| match at {
            Location::Line(line) => places
                .get(line.saturating_sub(1))
                .map_or(Location::Line(line), |p| Location::Place(p.clone())),
            other => other,
        };
        match error {
            ImportError::Malformed(errors) => ImportError::Malformed(
                errors
                    .into_iter()
                    .map(|e| LineError {
                        at: place(e.at),
                        message: e.message,
                    })
                    .collect(),
            ),
            ImportError::UnknownDepartments { county, names } => ImportError::UnknownDepartments {
                county,
                names: names
                    .into_iter()
                    .map(|mut n| {
                        n.places = n
                            .places
                            .into_iter()
                            .map(|(kind, seq, at)| (kind, seq, place(at)))
                            .collect();
                        n
                    })
                    .collect(),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(county: Option<&str>, town: Option<&str>, published: Option<&str>) -> Overrides {
        Overrides {
            town: town.map(str::to_owned),
            county: county.map(str::to_owned),
            published: published.map(str::to_owned),
        }
    }

    #[test]
    fn the_month_may_be_given_as_yyyy_mm_or_as_a_chinese_date() {
        for given in ["2025-07", "2025-7", "2025年7月", "二〇二五年七月"] {
            let month = overrides(None, None, Some(given)).month().unwrap();
            assert_eq!(month.as_deref(), Some("2025-07"), "{given}");
        }
        for bad in ["2025-13", "25-07", "July 2025", ""] {
            let error = overrides(None, None, Some(bad)).check().unwrap_err();
            assert!(error.to_string().contains("--published"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_county_may_be_named_alone_or_with_its_prefecture_and_region() {
        let county = |given: &str| overrides(Some(given), None, None).county().unwrap();
        assert_eq!(
            county("乌恰县"),
            Some((String::new(), String::new(), "乌恰县".to_owned()))
        );
        assert_eq!(
            county("新疆维吾尔自治区克孜勒苏柯尔克孜自治州乌恰县"),
            Some((
                "新疆维吾尔自治区".to_owned(),
                "克孜勒苏柯尔克孜自治州".to_owned(),
                "乌恰县".to_owned()
            ))
        );
        assert_eq!(
            county("阿图什市"),
            Some((String::new(), String::new(), "阿图什市".to_owned()))
        );
        assert!(overrides(Some("乌恰镇"), None, None).check().is_err());
        assert!(overrides(None, Some(" "), None).check().is_err());
    }

    #[test]
    fn formats_are_told_by_extension_else_by_bytes() {
        assert_eq!(Format::of("清单.DOCX", b"").unwrap(), Format::Docx);
        assert_eq!(Format::of("清单.xlsx", b"").unwrap(), Format::Xlsx);
        assert_eq!(Format::of("清单.csv", b"").unwrap(), Format::Csv);
        assert_eq!(
            Format::of("清单.txt", "说明".as_bytes()).unwrap(),
            Format::Text
        );
        for old in ["清单.doc", "清单.xls", "清单.wps", "清单.et"] {
            assert!(Format::of(old, b"").is_err(), "{old}");
        }
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        let error = Format::of("清单", &ole).unwrap_err().to_string();
        assert!(error.contains(".docx or .xlsx"), "{error}");
    }
}
