package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// column is one column of an exported table. Exports carry names only,
// never account ids or residents' details.
type column struct {
	zh, en string
	value  func(f Figures) any
}

func yesNo(b bool) any {
	if b {
		return "海岛 island"
	}
	return ""
}

var columns = []column{
	{"名称", "Name", func(f Figures) any { return f.Name }},
	{"请求数", "Requests", func(f Figures) any { return f.Requests }},
	{"接通数", "Answered", func(f Figures) any { return f.Answered }},
	{"放弃数", "Abandoned", func(f Figures) any { return f.Abandoned }},
	{"30秒内接通", "Answered within 30 s", func(f Figures) any { return f.AnsweredIn30s }},
	{"服务水平%", "Service level %", func(f Figures) any { return f.ServiceLevel }},
	{"放弃率%", "Abandon rate %", func(f Figures) any { return f.AbandonRate }},
	{"平均等待(秒)", "Average wait (s)", func(f Figures) any { return f.AvgWaitS }},
	{"P90等待(秒)", "P90 wait (s)", func(f Figures) any { return f.P90WaitS }},
	{"平均处理时长(秒)", "Average handle time (s)", func(f Figures) any { return f.AvgHandleS }},
	{"当场办结", "Done on the spot", func(f Figures) any { return f.Outcomes.Done }},
	{"受理转后台", "Forwarded", func(f Figures) any { return f.Outcomes.Forwarded }},
	{"需补正", "Needs materials", func(f Figures) any { return f.Outcomes.NeedsMaterials }},
	{"仅咨询", "Consultation", func(f Figures) any { return f.Outcomes.Consultation }},
	{"未办结登记", "No outcome yet", func(f Figures) any { return f.Outcomes.None }},
	{"非常不满意", "Rated 1", func(f Figures) any { return f.Ratings[0] }},
	{"不满意", "Rated 2", func(f Figures) any { return f.Ratings[1] }},
	{"基本满意", "Rated 3", func(f Figures) any { return f.Ratings[2] }},
	{"满意", "Rated 4", func(f Figures) any { return f.Ratings[3] }},
	{"非常满意", "Rated 5", func(f Figures) any { return f.Ratings[4] }},
	{"评价数", "Rated", func(f Figures) any { return f.Rated }},
	{"满意率%", "Satisfaction %", func(f Figures) any { return f.Satisfaction }},
	{"差评数", "Bad ratings", func(f Figures) any { return f.BadRatings }},
	{"差评已整改", "Bad ratings followed up", func(f Figures) any { return f.BadFollowedUp }},
	{"按时整改", "Followed up on time", func(f Figures) any { return f.BadFollowedUpOnTime }},
	{"逾期办件", "Overdue cases", func(f Figures) any { return f.OverdueCases }},
}

// sheetNames are the XLSX sheet (and CSV view) titles of each breakdown.
var sheetNames = map[string][2]string{
	"total":    {"总览", "Summary"},
	ByStation:  {"按站点", "By station"},
	ByItem:     {"按事项", "By item"},
	ByCategory: {"按类别", "By category"},
	ByAgent:    {"按坐席", "By agent"},
}

func header(lang string, by string) []any {
	out := []any{}
	for i, c := range columns {
		out = append(out, pick(lang, c.zh, c.en))
		if i == 0 && by == ByStation {
			out = append(out, pick(lang, "海岛", "Island"))
		}
	}
	return out
}

func values(f Figures, by string) []any {
	out := []any{}
	for i, c := range columns {
		out = append(out, c.value(f))
		if i == 0 && by == ByStation {
			out = append(out, yesNo(f.Island))
		}
	}
	return out
}

func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

// WriteXLSX writes the report as a workbook: a summary sheet (period,
// totals, the bookings gap) and one sheet per breakdown.
func WriteXLSX(w io.Writer, rep Report, lang string) error {
	x := excelize.NewFile()
	defer x.Close()
	summary := pick(lang, sheetNames["total"][0], sheetNames["total"][1])
	if err := x.SetSheetName("Sheet1", summary); err != nil {
		return fmt.Errorf("name summary sheet: %w", err)
	}
	rows := [][]any{
		{pick(lang, "统计期间", "Period"), rep.Period.From + " – " + rep.Period.To, rep.Period.TimeZone},
		header(lang, "total"),
		values(rep.Total, "total"),
		{},
	}
	rows = append(rows, bookingRows(lang, rep.Bookings)...)
	if err := setRows(x, summary, rows); err != nil {
		return err
	}
	for _, by := range Breakdowns {
		name := pick(lang, sheetNames[by][0], sheetNames[by][1])
		if _, err := x.NewSheet(name); err != nil {
			return fmt.Errorf("add sheet %s: %w", name, err)
		}
		rows := [][]any{header(lang, by)}
		for _, f := range rep.Rows(by) {
			rows = append(rows, values(f, by))
		}
		if err := setRows(x, name, rows); err != nil {
			return err
		}
	}
	if err := x.Write(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

func setRows(x *excelize.File, sheet string, rows [][]any) error {
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return fmt.Errorf("cell of row %d: %w", i+1, err)
		}
		if err := x.SetSheetRow(sheet, cell, &r); err != nil {
			return fmt.Errorf("write %s row %d: %w", sheet, i+1, err)
		}
	}
	return nil
}

// WriteCSV writes one breakdown ("total" for the totals) as CSV in UTF-8
// with a byte-order mark, so Excel reads the Chinese text right.
func WriteCSV(w io.Writer, rep Report, by, lang string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	list := rep.Rows(by)
	if by == "total" {
		list = []Figures{rep.Total}
	}
	if err := cw.Write(texts(header(lang, by))); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, f := range list {
		if err := cw.Write(texts(values(f, by))); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func texts(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		switch v := v.(type) {
		case float64:
			out[i] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			out[i] = fmt.Sprint(v)
		}
	}
	return out
}
