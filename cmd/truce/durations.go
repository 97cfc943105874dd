package main

import "time"

// span writes a duration for people, in the catalogue's language and to
// the two largest units that matter: "45 s", "21 min", "3 h 10 min",
// "152 d 6 h". Go's own form ("3654h41m41s") is for programs.
func span(d time.Duration) string {
	if d < 0 {
		return "-" + span(-d)
	}
	switch {
	case d < time.Minute:
		return msg.T("dur.s", int(d/time.Second))
	case d < time.Hour:
		return msg.T("dur.min", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return msg.T("dur.h", h)
		}
		return msg.T("dur.h_min", h, m)
	default:
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return msg.T("dur.d", days)
		}
		return msg.T("dur.d_h", days, h)
	}
}
