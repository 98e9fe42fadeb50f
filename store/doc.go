// Package store keeps AgriClinic's state: the Postgres archive, which is the source of truth
// (questions, answers, experts, groups, county settings), and the Redis queues of open
// questions, which can always be rebuilt from Postgres.
//
// SQL and Redis key names live here and nowhere else. Every change of a question's state is
// one statement that checks the state it expects, so races between experts are decided by
// the database. Domain rules (who may do what, what a message says) live in package consult
// and package bot, not here.
package store
