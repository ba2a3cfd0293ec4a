package auth

import (
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q: want an argon2id PHC string", hash)
	}
	for _, c := range []struct {
		password string
		want     bool
	}{
		{"correct horse battery", true},
		{"correct horse batterY", false},
		{"", false},
	} {
		got, err := CheckPassword(hash, c.password)
		if err != nil || got != c.want {
			t.Errorf("CheckPassword(%q): got %v, %v, want %v", c.password, got, err, c.want)
		}
	}
	again, _ := HashPassword("correct horse battery")
	if again == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a 5-character password: got no error, want one")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("CheckPassword with hash %q: got no error, want one", bad)
		}
	}
}

func TestAPIKey(t *testing.T) {
	id, key, hash := NewAPIKey()
	gotID, secret, ok := ParseAPIKey(key)
	if !ok || gotID != id {
		t.Fatalf("ParseAPIKey(%q): got %q, %v, want %q", key, gotID, ok, id)
	}
	if !CheckSecret(hash, secret) {
		t.Error("CheckSecret of the key's own secret: got false")
	}
	if CheckSecret(hash, secret+"x") {
		t.Error("CheckSecret of another secret: got true")
	}
	for _, bad := range []string{"", "varde_", "varde_abc_def", "other_" + key[6:], key[:20]} {
		if _, _, ok := ParseAPIKey(bad); ok {
			t.Errorf("ParseAPIKey(%q): got ok, want rejected", bad)
		}
	}
}
