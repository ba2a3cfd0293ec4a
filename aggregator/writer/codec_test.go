package writer

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
)

// fullEvent has every field set, with text that a careless encoder would
// mangle.
func fullEvent(i int) aggregator.Event {
	return aggregator.Event{
		Site:           "example.com",
		Time:           time.Date(2026, 11, 27, 23, 59, 59, (i%1000)*int(time.Millisecond), time.UTC),
		ID:             uint64(i) + 1<<63,
		VisitorID:      0xdeadbeefcafe0000 + uint64(i),
		PrevVisitorID:  uint64(i) * 7,
		Name:           aggregator.PageviewName,
		Hostname:       "www.example.com",
		Path:           "/jobs/123/søk 'quoted' \\ \t\n",
		Query:          "utm_source=x&page=2",
		Referrer:       "www.google.com/",
		Source:         "Google",
		UTMSource:      "newsletter",
		UTMMedium:      "email",
		UTMCampaign:    "høst-2026",
		UTMContent:     "banner\x00nul",
		UTMTerm:        "sykepleier",
		Country:        "NO",
		Region:         "NO-03",
		RegionName:     "Oslo",
		City:           "Oslo",
		Browser:        "Firefox",
		BrowserVersion: "133",
		OS:             "Linux",
		OSVersion:      "",
		Device:         "desktop",
		ScreenWidth:    1280,
		PropKeys:       []string{"plan", "emoji"},
		PropValues:     []string{"pro", "🦊"},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 70_000)
	for _, want := range []aggregator.Event{
		fullEvent(1),
		{Site: "a", Time: time.UnixMilli(0).UTC(), ID: 1},
		{Site: long, Time: time.UnixMilli(1).UTC(), ID: ^uint64(0), ScreenWidth: 65535, PropKeys: []string{""}, PropValues: []string{long}},
	} {
		b := appendEvent(nil, &want)
		var got aggregator.Event
		if err := decodeEvent(b, &got); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
		for cut := range min(len(b), 200) {
			if err := decodeEvent(b[:cut], &got); err == nil {
				t.Errorf("decode of the first %d of %d bytes: got no error, want one", cut, len(b))
			}
		}
		if err := decodeEvent(append(b, 0), &got); err == nil {
			t.Error("decode with a trailing byte: got no error, want one")
		}
	}
}

// FuzzDecode: no input makes the decoder panic or allocate without bound,
// and what it accepts encodes back to an event it decodes the same.
func FuzzDecode(f *testing.F) {
	e := fullEvent(3)
	f.Add(appendEvent(nil, &e))
	f.Add(appendEvent(nil, &aggregator.Event{Time: time.UnixMilli(0)}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got aggregator.Event
		if decodeEvent(b, &got) != nil {
			return
		}
		var again aggregator.Event
		if err := decodeEvent(appendEvent(nil, &got), &again); err != nil {
			t.Fatalf("re-encoded event does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("re-encoded event decodes differently: got %+v, want %+v", again, got)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	e := fullEvent(1)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendEvent(buf[:0], &e)
	}
	b.ReportMetric(float64(len(buf)), "bytes/event")
}

func BenchmarkDecode(b *testing.B) {
	e := fullEvent(1)
	buf := appendEvent(nil, &e)
	var got aggregator.Event
	b.ReportAllocs()
	for b.Loop() {
		if err := decodeEvent(buf, &got); err != nil {
			b.Fatal(err)
		}
	}
}
