package ledger

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// exactFields refuses object keys that do not name a field of dst's type
// exactly. encoding/json matches keys case-insensitively (and with Unicode
// folding: "ſummary" fills Summary), so a signed statement could carry two
// spellings of one field, one of them invisible to a reader of the signed
// bytes, and the record would take the other. A statement must mean what
// its canonical bytes say.
func exactFields(doc []byte, dst any) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil // decoding reports it
	}
	return checkKeys(v, reflect.TypeOf(dst), "")
}

func checkKeys(v any, t reflect.Type, path string) error {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) {
		if t.Kind() == reflect.Interface {
			return nil
		}
		t = t.Elem()
	}
	if t == nil || t == reflect.TypeOf(json.RawMessage(nil)) {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil // maps and the like: no fields to confuse
		}
		fields := jsonFields(t)
		for k, val := range x {
			ft, ok := fields[k]
			if !ok {
				return Invalid(joinField(path, k), "unknown field %q (field names are case-sensitive)", k)
			}
			if err := checkKeys(val, ft, joinField(path, k)); err != nil {
				return err
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range x {
				if err := checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// jsonFields maps the exact JSON names of t's fields (embedded structs
// flattened, as encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					if _, taken := out[k]; !taken {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
