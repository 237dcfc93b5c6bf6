package duotest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// paging reads v1 offset paging: limit (default, at most max) and offset.
func paging(c *call, def, maxLimit int) (limit, offset int, detail string) {
	limit, offset = def, 0
	if v := c.params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, "limit must be a positive integer"
		}
		limit = min(n, maxLimit)
	}
	if v := c.params.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, "offset must be a non-negative integer"
		}
		offset = n
	}
	return limit, offset, ""
}

// v1Page writes one page of a v1 list, with metadata at the top level
// (duo_api_golang admin_test.go): next_offset absent on the last page.
func v1Page[T any](s *Server, w http.ResponseWriter, c *call, items []T, def, maxLimit int) {
	limit, offset, detail := paging(c, def, maxLimit)
	if detail != "" {
		s.fail(w, http.StatusBadRequest, 40002, "Invalid request parameters", detail)
		return
	}
	page := []T{}
	if offset < len(items) {
		page = slices.Clone(items[offset:min(offset+limit, len(items))])
	}
	meta := map[string]any{"total_objects": len(items)}
	if offset > 0 {
		meta["prev_offset"] = max(offset-limit, 0)
	}
	if offset+limit < len(items) {
		meta["next_offset"] = offset + limit
	}
	ok(w, page, meta)
}

func (s *Server) users(w http.ResponseWriter, _ *http.Request, c *call) {
	v1Page(s, w, c, c.account.Users, 100, 300)
}

func (s *Server) admins(w http.ResponseWriter, _ *http.Request, c *call) {
	type admin struct {
		AdminID string `json:"admin_id"`
		Email   string `json:"email"`
		Name    string `json:"name"`
		Role    string `json:"role"`
	}
	v1Page(s, w, c, []admin{{AdminID: "DEOWNER00000000000001", Email: "owner@example.com", Name: "Account Owner", Role: "Owner"}}, 100, 300)
}

func (s *Server) summary(w http.ResponseWriter, _ *http.Request, c *call) {
	ok(w, map[string]int{"admin_count": 1, "integration_count": len(c.account.Integrations),
		"telephony_credits_remaining": 0, "user_count": len(c.account.Users)}, nil)
}

func (s *Server) settings(w http.ResponseWriter, _ *http.Request, _ *call) {
	ok(w, map[string]any{"name": "tether demo", "lockout_threshold": 10, "inactive_user_expiration": 0}, nil)
}

var usernamePattern = regexp.MustCompile(`^[^\s]{1,100}$`)

// createUser is POST /admin/v1/users: tether never calls it; it is here
// so that a write without Grant write resource is refused as Duo does.
func (s *Server) createUser(w http.ResponseWriter, _ *http.Request, c *call) {
	name := c.params.Get("username")
	if !usernamePattern.MatchString(name) {
		s.fail(w, http.StatusBadRequest, 40002, "Invalid request parameters", "username")
		return
	}
	u := User{UserID: fmt.Sprintf("DU%018d", len(c.account.Users)+1), Username: name, Realname: c.params.Get("realname"),
		Email: c.params.Get("email"), Status: "active", Created: s.opts.Now().Add(s.offset).Unix()}
	c.account.Users = append(c.account.Users, u)
	ok(w, u, nil)
}

// deleteUser is DELETE /admin/v1/users/{id}: 200 whether or not the
// user exists (duo_api_csharp AdminUsers.cs).
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	c.account.Users = slices.DeleteFunc(c.account.Users, func(u User) bool { return u.UserID == id })
	ok(w, "", nil)
}

// authLogs is GET /admin/v2/logs/authentication: mintime and maxtime in
// 13-digit milliseconds, mintime within the past 180 days and before
// maxtime, limit up to 1000, newest first unless sort=ts:asc, and the
// v2 metadata inside the response with next_offset [ms, txid] or null.
func (s *Server) authLogs(w http.ResponseWriter, _ *http.Request, c *call) {
	bad := func(detail string) { s.fail(w, http.StatusBadRequest, 40002, "Invalid request parameters", detail) }
	now := s.opts.Now().Add(s.offset)
	ms := func(name string) (int64, bool) {
		v := c.params.Get(name)
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil && len(v) == 13
	}
	minT, ok1 := ms("mintime")
	maxT, ok2 := ms("maxtime")
	switch {
	case !ok1:
		bad("'mintime' must be a timestamp in milliseconds")
		return
	case !ok2:
		bad("'maxtime' must be a timestamp in milliseconds")
		return
	case minT >= maxT:
		bad("mintime must be strictly less than maxtime")
		return
	case minT < now.Add(-180*24*time.Hour).UnixMilli():
		bad("mintime must be within the past 180 days")
		return
	}
	limit := 100
	if v := c.params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad("limit must be between 1 and 1000")
			return
		}
		limit = n
	}
	sortAsc := false
	switch c.params.Get("sort") {
	case "", "ts:desc":
	case "ts:asc":
		sortAsc = true
	default:
		bad("sort must be ts:asc or ts:desc")
		return
	}
	// Events of the last two minutes are not served yet (§2.6).
	visible := now.Add(-2 * time.Minute).UnixMilli()
	var events []AuthLog
	for _, e := range c.account.AuthLogs {
		if t := e.Timestamp * 1000; t >= minT && t <= maxT && t <= visible {
			events = append(events, e)
		}
	}
	slices.SortFunc(events, func(a, b AuthLog) int {
		if sortAsc {
			return int(a.Timestamp - b.Timestamp)
		}
		return int(b.Timestamp - a.Timestamp)
	})
	if v := c.params.Get("next_offset"); v != "" {
		ts, tx, found := strings.Cut(v, ",")
		i := slices.IndexFunc(events, func(e AuthLog) bool { return strconv.FormatInt(e.Timestamp*1000, 10) == ts && e.TxID == tx })
		if !found || i < 0 {
			bad("next_offset")
			return
		}
		events = events[i+1:]
	}
	total := len(events)
	var next any
	if len(events) > limit {
		events = events[:limit]
		last := events[limit-1]
		next = []string{strconv.FormatInt(last.Timestamp*1000, 10), last.TxID}
	}
	logs := []map[string]any{}
	for _, e := range events {
		logs = append(logs, map[string]any{
			"event_type": e.EventType, "factor": e.Factor, "reason": e.Reason, "result": e.Result,
			"timestamp": e.Timestamp, "isotimestamp": time.Unix(e.Timestamp, 0).UTC().Format("2006-01-02T15:04:05.000000+00:00"),
			"txid": e.TxID, "user": map[string]string{"key": e.UserKey, "name": e.Username},
		})
	}
	ok(w, map[string]any{"authlogs": logs, "metadata": map[string]any{"next_offset": next, "total_objects": total}}, nil)
}

// adminLogs is GET /admin/v1/logs/administrator: mintime in seconds, at
// most 1000 events, the earliest first, as a plain array.
func (s *Server) adminLogs(w http.ResponseWriter, _ *http.Request, c *call) {
	var minT int64
	if v := c.params.Get("mintime"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || len(v) > 10 {
			s.fail(w, http.StatusBadRequest, 40002, "Invalid request parameters", "mintime must be a timestamp in seconds")
			return
		}
		minT = n
	}
	out := []AdminLog{}
	for _, e := range c.account.AdminLogs {
		if e.Timestamp >= minT && len(out) < 1000 {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b AdminLog) int { return int(a.Timestamp - b.Timestamp) })
	ok(w, out, nil)
}
