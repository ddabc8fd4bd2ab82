package store

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"testing"
)

func encodeValues(t *testing.T, v map[any]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The decoded session values are each request's own: changing them (as handlers do) or a
// byte slice in them leaves what the next request of the same session decodes untouched; new
// data is decoded anew, and the cache stays bounded.
func TestDecodedSessionValues(t *testing.T) {
	var d decodedValues
	data := encodeValues(t, map[any]any{"aid": int64(7), "seen": int64(100), "sealed": []byte("abc")})
	first, err := d.decode(data)
	if err != nil {
		t.Fatal(err)
	}
	first["seen"] = int64(160)
	first["new"] = "x"
	first["sealed"].([]byte)[0] = 'z'
	second, err := d.decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 3 || second["aid"] != int64(7) || second["seen"] != int64(100) || string(second["sealed"].([]byte)) != "abc" {
		t.Errorf("the second request's values: %v", second)
	}
	other, err := d.decode(encodeValues(t, map[any]any{"aid": int64(8)}))
	if err != nil || len(other) != 1 || other["aid"] != int64(8) {
		t.Errorf("other data: %v, %v", other, err)
	}
	if _, err := d.decode([]byte("not gob")); err == nil {
		t.Error("garbage decoded")
	}
	for i := range decodedValuesMax + 10 {
		if _, err := d.decode(encodeValues(t, map[any]any{"k": fmt.Sprint(i)})); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.m) > decodedValuesMax {
		t.Errorf("%d entries kept, at most %d", len(d.m), decodedValuesMax)
	}
}
