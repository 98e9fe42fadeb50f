package store

import "strconv"

// Every Redis key is built here. A county's keys share the hash tag {county} so that a
// multi-key script over one county also runs on Redis Cluster.

// queueKey is the sorted set of a county category's open questions, scored by the time
// asked in Unix milliseconds so the oldest comes first.
func (q *Queue) queueKey(county, category string) string {
	return q.prefix + "{" + county + "}:queue:" + category
}

// claimKey marks who won the race to claim a question (see Queue.Arbitrate). It is
// found by the question's number alone, before anything else about the question is known.
func (q *Queue) claimKey(questionID int64) string {
	return q.prefix + "{claim:" + member(questionID) + "}"
}

func member(id int64) string { return strconv.FormatInt(id, 10) }

// limitKey is a sending schedule. Every limit shares one hash tag: a message is checked
// against the global limit and its chat's limits in one script.
func (l *Limiter) limitKey(name string) string {
	return l.prefix + "{ratelimit}:" + name
}

// leaseKey is an election among instances; each lease is its own slot.
func (l *Leases) leaseKey(name string) string {
	return l.prefix + "{lease:" + name + "}"
}

// quotaKey counts one person's uses of one thing.
func (q *Quota) quotaKey(name string, who int64) string {
	return q.prefix + "{quota}:" + name + ":" + strconv.FormatInt(who, 10)
}
