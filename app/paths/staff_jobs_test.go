package paths

import "testing"

func TestStaffJobsBuilders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ pattern, built, want string }{
		{StaffJobRetryPattern, StaffJobRetry(8), "/staff/taches/8/relancer/"},
		{StaffJobCancelPattern, StaffJobCancel(8), "/staff/taches/8/annuler/"},
	} {
		if tc.built != tc.want || !matcher(tc.pattern).MatchString(tc.built) {
			t.Errorf("%s: built %q, want %q", tc.pattern, tc.built, tc.want)
		}
	}
	if got := StaffJobsState("discarded", 2); got != "/staff/taches/?etat=discarded&page=2" {
		t.Errorf("state page: %q", got)
	}
	if got := StaffJobsState("retryable", 1); got != "/staff/taches/?etat=retryable" {
		t.Errorf("state: %q", got)
	}
}
