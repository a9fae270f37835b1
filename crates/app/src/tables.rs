//! Tables for download: CSV in UTF-8 with a byte-order mark (so spreadsheet programs read the
//! Chinese correctly) and XLSX workbooks of one sheet, written the same way for every export
//! that is a plain table (the opening list, statistics).

use crate::error::{AppError, AppResult};

/// A cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Number(f64),
    /// Nothing.
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// The table as CSV.
pub fn csv(headings: &[&str], rows: &[Vec<Cell>]) -> AppResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(headings).map_err(AppError::internal)?;
        for r in rows {
            w.write_record(r.iter().map(Cell::text))
                .map_err(AppError::internal)?;
        }
        w.flush().map_err(AppError::internal)?;
    }
    Ok(out)
}

/// The table as an XLSX workbook with one sheet named `sheet`; numbers stay numbers.
pub fn xlsx(sheet_name: &str, headings: &[&str], rows: &[Vec<Cell>]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(AppError::internal)?;
    let bold = Format::new().set_bold();
    for (c, h) in headings.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(AppError::internal)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, v) in r.iter().enumerate() {
            let col = c as u16;
            match v {
                Cell::Text(s) => sheet.write_string(row, col, s).map(|_| ()),
                Cell::Int(n) => sheet.write_number(row, col, *n as f64).map(|_| ()),
                Cell::Number(x) => sheet.write_number(row, col, *x).map(|_| ()),
                Cell::Empty => Ok(()),
            }
            .map_err(AppError::internal)?;
        }
    }
    book.save_to_buffer().map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_starts_with_a_byte_order_mark_and_quotes_as_needed() {
        let rows = vec![
            vec![Cell::Text("a,b".into()), Cell::Int(3), Cell::Number(0.5)],
            vec![Cell::Text("交通".into()), Cell::Empty, Cell::Int(-1)],
        ];
        let out = csv(&["名称", "n", "x"], &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "\u{feff}名称,n,x\n\"a,b\",3,0.5\n交通,,-1\n");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let out = xlsx("表", &["n"], &[vec![Cell::Int(1)]]).unwrap();
        assert_eq!(&out[..2], b"PK");
    }
}
