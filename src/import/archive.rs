//! The ZIP container of Word documents and workbooks, read within bounds: a file
//! larger than [`MAX_FILE_BYTES`], or whose parts unpack to more than
//! [`MAX_UNPACKED_BYTES`] (a zip bomb), is refused before anything is parsed.
//! Parts are unpacked through a counting reader, so a part that lies about its
//! size is cut off at the bound too.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::ImportError;
use super::source::Format;

/// The largest file read: a list is a few hundred kilobytes.
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// The most all the XML parts of one file may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 128 << 20;

/// An open archive.
pub type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Open a ZIP archive; `what` names the format for messages (`a Word document (.docx)`).
pub fn open<'a>(bytes: &'a [u8], what: &str) -> Result<Archive<'a>, ImportError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ImportError::Unreadable(format!(
            "the file has {} bytes, more than the {MAX_FILE_BYTES} a list may have",
            bytes.len()
        )));
    }
    ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        ImportError::Unreadable(format!(
            "the file is not {what}: it is not a ZIP archive ({e})"
        ))
    })
}

/// Refuse an archive without `part`, the part that makes it `what`.
pub fn require(archive: &Archive<'_>, part: &str, what: &str) -> Result<(), ImportError> {
    if archive.file_names().any(|n| n.is_ok_and(|n| n == part)) {
        Ok(())
    } else {
        Err(ImportError::Unreadable(format!(
            "the file is a ZIP archive, but not {what}: it has no {part}"
        )))
    }
}

/// Whether a ZIP archive is a Word document or a workbook.
pub fn kind(bytes: &[u8]) -> Result<Format, ImportError> {
    let archive = open(bytes, "a Word document (.docx) or an XLSX workbook")?;
    let has = |name: &str| archive.file_names().any(|n| n.is_ok_and(|n| n == name));
    if has("word/document.xml") {
        Ok(Format::Docx)
    } else if has("xl/workbook.xml") {
        Ok(Format::Xlsx)
    } else {
        Err(ImportError::Unreadable(
            "the file is a ZIP archive, but neither a Word document (.docx) nor an XLSX workbook"
                .to_owned(),
        ))
    }
}

/// Unpack every XML part, counting, and refuse an archive whose parts unpack to
/// more than [`MAX_UNPACKED_BYTES`] or cannot be unpacked. Pictures and other
/// parts lvzhi never reads are not unpacked.
pub fn check_unpacked(archive: &mut Archive<'_>, what: &str) -> Result<(), ImportError> {
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut part = archive
            .by_index(index)
            .map_err(|e| damaged(what, &e.to_string()))?;
        let name = part
            .name()
            .map_err(|e| damaged(what, &e.to_string()))?
            .into_owned();
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        let budget = MAX_UNPACKED_BYTES - total;
        if part.size() > budget {
            // What the archive itself declares is enough to refuse it, unpacking nothing.
            return Err(bomb(what));
        }
        // A part may declare less than it holds: count while unpacking, to the bound.
        let read = std::io::copy(&mut (&mut part).take(budget + 1), &mut std::io::sink())
            .map_err(|e| damaged(what, &format!("{name}: {e}")))?;
        total += read;
        if total > MAX_UNPACKED_BYTES {
            return Err(bomb(what));
        }
    }
    Ok(())
}

/// One part of the archive, unpacked within the bound; `None` when it is absent.
pub fn read_part(
    archive: &mut Archive<'_>,
    name: &str,
    what: &str,
) -> Result<Option<Vec<u8>>, ImportError> {
    let part = match archive.by_name(name) {
        Ok(part) => part,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(damaged(what, &format!("{name}: {e}"))),
    };
    let mut bytes = Vec::new();
    part.take(MAX_UNPACKED_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| damaged(what, &format!("{name}: {e}")))?;
    if bytes.len() as u64 > MAX_UNPACKED_BYTES {
        return Err(bomb(what));
    }
    Ok(Some(bytes))
}

fn damaged(what: &str, detail: &str) -> ImportError {
    ImportError::Unreadable(format!("the file is {what}, but damaged ({detail})"))
}

fn bomb(what: &str) -> ImportError {
    ImportError::Unreadable(format!(
        "the file is {what} whose parts unpack to more than {MAX_UNPACKED_BYTES} bytes; a duty list is far smaller (a damaged file, or a zip bomb)"
    ))
}
