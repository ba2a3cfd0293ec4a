package consent

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func TestGenerateKey(t *testing.T) {
	a, b := GenerateKey(), GenerateKey()
	if err := a.check(); err != nil {
		t.Fatalf("generated key: %v", err)
	}
	if a.ID == b.ID || string(a.Secret) == string(b.Secret) {
		t.Error("got two equal generated keys, want different ones")
	}
	keys, err := ParseKeys(a.Encode())
	if err != nil || len(keys) != 1 || keys[0].ID != a.ID || string(keys[0].Secret) != string(a.Secret) {
		t.Errorf("ParseKeys(Encode()): got %v, %v, want the key back", keys, err)
	}
}

func TestKeyHidesSecret(t *testing.T) {
	k := testKey("k1")
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, string(k.Secret)) || strings.Contains(s, base64.StdEncoding.EncodeToString(k.Secret)) {
			t.Errorf("got %q, want no secret in it", s)
		}
	}
}

func TestParseKeys(t *testing.T) {
	secret := strings.Repeat("x", 32)
	std := base64.StdEncoding.EncodeToString([]byte(secret))
	raw := base64.RawURLEncoding.EncodeToString([]byte(secret))
	tests := []struct {
		in      string
		wantIDs []string
		wantErr string
	}{
		{"k1:" + std, []string{"k1"}, ""},
		{"k1:" + std + ", k2:" + raw, []string{"k1", "k2"}, ""},
		{" k1:" + std + ",", []string{"k1"}, ""},
		{"", nil, "no keys"},
		{"k1" + std, nil, "no colon"},
		{"k1:!!!", nil, "not base64"},
		{"k1:" + base64.StdEncoding.EncodeToString([]byte("short")), nil, "at least 32"},
		{"k1:" + std + ",k1:" + std, nil, "used twice"},
		{"bad id:" + std, nil, "must be 1 to 32"},
	}
	for _, tt := range tests {
		keys, err := ParseKeys(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseKeys(%q): got error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("ParseKeys(%q): error %q shows the secret", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseKeys(%q): got %v, want no error", tt.in, err)
			continue
		}
		var ids []string
		for _, k := range keys {
			ids = append(ids, k.ID)
			if string(k.Secret) != secret {
				t.Errorf("ParseKeys(%q): key %s got a wrong secret", tt.in, k.ID)
			}
		}
		if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
			t.Errorf("ParseKeys(%q): got ids %v, want %v", tt.in, ids, tt.wantIDs)
		}
	}
}
