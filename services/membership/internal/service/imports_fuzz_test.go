package service

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/guildhall/guildhall/pkg/errs"
)

// FuzzParseImport feeds arbitrary bytes to the importer's parser and
// row decoder. Whatever the file, they never panic, every refusal is a
// stable, non-internal error id (what the job report shows), an accepted
// file has 1 to MaxImportRows rows with increasing line numbers, and every
// field handed on to the hire is valid UTF-8 without surrounding space.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte("name,id_number\n张伟,420106198803141236\n"))
	f.Add([]byte("\xef\xbb\xbfname,id_number,hired_on,badge_service\n李四,11010519491231002X,2020-01-01,是\n王五,bad,,maybe\n"))
	f.Add([]byte("name,id_number\n\"unterminated,1\n"))
	f.Add([]byte("id_number,name,name\n"))
	f.Add([]byte("name,id_number\n\xff\xfe,1\n"))
	f.Add([]byte(""))
	// GBK (姓名,身份证号 / 张伟), as Excel on a Chinese Windows saves it, and
	// the template's Chinese titles with Excel's date and yes/no forms.
	f.Add([]byte("\xd0\xd5\xc3\xfb,\xc9\xed\xb7\xdd\xd6\xa4\xba\xc5\r\n\xd5\xc5\xce\xb0,420106198803141236\r\n"))
	f.Add([]byte("姓名,身份证号,入职日期,党员\n张伟,420106198803141236,2020年1月2日,是\n李四,420106198803141236,45323,否\n"))
	f.Add([]byte("name,id_number,certificate_number,certificate_issued_on,hired_on,badge_service,volunteer_police,party_member\na,b,c,d,e,1,0,yes\na,b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseImport(data)
		if err != nil {
			if errs.KindOf(err) == errs.Internal {
				t.Fatalf("refusal without a stable id: %v", err)
			}
			return
		}
		if len(p.rows) == 0 || len(p.rows) > MaxImportRows {
			t.Fatalf("accepted a file of %d rows", len(p.rows))
		}
		last := 0
		for _, row := range p.rows {
			if row.Line <= last {
				t.Fatalf("row line %d after %d", row.Line, last)
			}
			last = row.Line
			in, err := p.hireInput("c1", row)
			if err != nil {
				if errs.KindOf(err) == errs.Internal {
					t.Fatalf("row refusal without a stable id: %v", err)
				}
				continue
			}
			for _, v := range []string{in.Name, in.IDNumber, in.CertificateNumber, in.CertificateIssuedOn, in.HiredOn} {
				if !utf8.ValidString(v) || v != strings.TrimSpace(v) {
					t.Fatalf("field %q handed on", v)
				}
			}
		}
	})
}
