package clientip

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseTrusted(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		want    string // String() of the result
		wantErr string // substring of the error, "" for none
	}{
		{name: "empty", list: "", want: ""},
		{name: "blanks and trailing comma", list: " , 10.0.0.0/8 ,", want: "10.0.0.0/8"},
		{name: "cidr and bare", list: "10.0.0.0/8,127.0.0.1", want: "10.0.0.0/8,127.0.0.1/32"},
		{name: "ipv6", list: "::1, 2001:db8::/32", want: "::1/128,2001:db8::/32"},
		{name: "host bits masked", list: "192.168.1.7/24", want: "192.168.1.0/24"},
		{name: "mapped prefix unmapped", list: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{name: "mapped bare unmapped", list: "::ffff:127.0.0.1", want: "127.0.0.1/32"},
		{name: "zone dropped", list: "fe80::1%eth0", want: "fe80::1/128"},
		{name: "bad entry named", list: "10.0.0.0/8,10.0.0.300", wantErr: `"10.0.0.300"`},
		{name: "bad cidr named", list: "10.0.0.0/33", wantErr: `"10.0.0.0/33"`},
		{name: "hostname refused", list: "proxy.local", wantErr: `"proxy.local"`},
		{name: "short mapped prefix", list: "::ffff:0:0/90", wantErr: `"::ffff:0:0/90"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrusted(tt.list)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTrusted(%q) error = %v, want one naming %s", tt.list, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTrusted(%q) error = %v, want nil", tt.list, err)
			}
			if got.String() != tt.want {
				t.Errorf("ParseTrusted(%q) = %q, want %q", tt.list, got.String(), tt.want)
			}
		})
	}
}

func TestContains(t *testing.T) {
	tr := mustTrusted(t, "10.0.0.0/8,127.0.0.1,2001:db8::/32")
	tests := []struct {
		addr string
		want bool
	}{
		{"10.1.2.3", true},
		{"::ffff:10.1.2.3", true},
		{"127.0.0.1", true},
		{"127.0.0.2", false},
		{"2001:db8::5", true},
		{"2001:db9::5", false},
		{"8.8.8.8", false},
	}
	for _, tt := range tests {
		if got := tr.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	var none *Trusted
	if none.Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Errorf("nil Trusted Contains = true, want false")
	}
}

func mustTrusted(t testing.TB, list string) *Trusted {
	t.Helper()
	tr, err := ParseTrusted(list)
	if err != nil {
		t.Fatalf("ParseTrusted(%q): %v", list, err)
	}
	return tr
}
