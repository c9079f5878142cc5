package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Reading a Bot API request: path, parameters (form, multipart, JSON,
// query) and writing the answer.

func splitPath(p string) (token, method string, ok bool) {
	rest, found := strings.CutPrefix(p, "/bot")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// upload is a file sent in a multipart/form-data request.
type upload struct {
	name        string // the part's file name
	contentType string // the part's Content-Type
	data        []byte
}

// readParams collects parameters from the query string and the body, which
// may be multipart/form-data (what go-telegram/bot sends),
// application/x-www-form-urlencoded or application/json, as Telegram accepts.
// Body parameters win over the query string. The files of a multipart body
// are in files, by field name.
func readParams(r *http.Request) (params map[string]string, files map[string]upload, err error) {
	params = map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return params, nil, fmt.Errorf("can't read request body: %w", err)
	}
	if len(body) > maxRequestBody {
		return params, nil, errors.New("request body is too big")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// go-telegram/bot sends a multipart content type with an empty body
		// for methods without parameters.
		return params, nil, nil
	}
	mediaType, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), mparams["boundary"]).ReadForm(maxRequestBody)
		if err != nil {
			return params, nil, fmt.Errorf("can't parse multipart body: %w", err)
		}
		defer form.RemoveAll()
		for k, v := range form.Value {
			params[k] = v[0]
		}
		if files, err = readFiles(form); err != nil {
			return params, nil, err
		}
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return params, nil, fmt.Errorf("can't parse form body: %w", err)
		}
		for k, v := range vals {
			params[k] = v[0]
		}
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return params, nil, fmt.Errorf("can't parse JSON body: %w", err)
		}
		for k, raw := range obj {
			raw = bytes.TrimSpace(raw)
			switch {
			case bytes.Equal(raw, []byte("null")):
			case len(raw) > 0 && raw[0] == '"':
				var str string
				if err := json.Unmarshal(raw, &str); err != nil {
					return params, nil, fmt.Errorf("can't parse JSON field %q: %w", k, err)
				}
				params[k] = str
			default:
				params[k] = string(raw)
			}
		}
	}
	return params, files, nil
}

// readFiles reads the first file of each field of a multipart form.
func readFiles(form *multipart.Form) (map[string]upload, error) {
	files := map[string]upload{}
	for k, fhs := range form.File {
		f, err := fhs[0].Open()
		if err != nil {
			return nil, fmt.Errorf("can't open uploaded file %q: %w", k, err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("can't read uploaded file %q: %w", k, err)
		}
		files[k] = upload{name: fhs[0].Filename, contentType: fhs[0].Header.Get("Content-Type"), data: data}
	}
	return files, nil
}

// writeReply writes Telegram's envelope. The HTTP status equals error_code,
// as with the real API.
func writeReply(w http.ResponseWriter, rep reply) {
	w.Header().Set("Content-Type", "application/json")
	var body []byte
	if rep.status == http.StatusOK {
		result, err := json.Marshal(rep.result)
		if err != nil {
			rep = fail(http.StatusInternalServerError, "Internal Server Error: "+err.Error())
		} else {
			if rep.garble != NoGarble && rep.garble != GarbleTruncated {
				result = garbleResult(result, rep.garble)
			}
			body = append(append([]byte(`{"ok":true,"result":`), result...), '}')
		}
	}
	if rep.status == http.StatusOK && rep.garble == GarbleTruncated {
		// Declaring the whole length and sending half makes the server close
		// the connection: the client reads an unexpected EOF after a 200.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	if rep.status != http.StatusOK {
		type parameters struct {
			RetryAfter      int   `json:"retry_after,omitempty"`
			MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
		}
		env := struct {
			OK          bool        `json:"ok"`
			ErrorCode   int         `json:"error_code"`
			Description string      `json:"description"`
			Parameters  *parameters `json:"parameters,omitempty"`
		}{ErrorCode: rep.status, Description: rep.desc}
		if rep.retryAfter > 0 || rep.migrateTo != 0 {
			env.Parameters = &parameters{RetryAfter: rep.retryAfter, MigrateToChatID: rep.migrateTo}
		}
		body, _ = json.Marshal(env)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
}

// chatIDParam parses chat_id. Usernames ("@channel") are not supported and,
// like 0 or garbage, read as a chat that does not exist.
func chatIDParam(p map[string]string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(p["chat_id"]), 10, 64)
	return id, err == nil && id != 0
}

// intParam parses an optional integer parameter; a missing one is def.
func intParam(p map[string]string, key string, def int64) (int64, error) {
	v, found := p[key]
	if !found || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("field %q must be a valid Number", key)
	}
	return n, nil
}

// boolParam parses an optional boolean parameter.
func boolParam(p map[string]string, key string) bool {
	v, _ := strconv.ParseBool(strings.TrimSpace(p[key]))
	return v
}
