package paths

import (
	"net/url"
	"strconv"
)

// The staff's view of the background job queue (River): jobs by state, retry and cancel.
const (
	StaffJobs             = "/staff/taches/"
	StaffJobRetryPattern  = "/staff/taches/:tache/relancer/"
	StaffJobCancelPattern = "/staff/taches/:tache/annuler/"
)

// StaffJobsState is the list of the jobs in one state (River's state name), on a page.
func StaffJobsState(state string, page int) string {
	v := url.Values{"etat": {state}}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return StaffJobs + "?" + v.Encode()
}

func StaffJobRetry(id int64) string  { return fill(StaffJobRetryPattern, itoa(id)) }
func StaffJobCancel(id int64) string { return fill(StaffJobCancelPattern, itoa(id)) }
