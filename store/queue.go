package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Queue holds the open questions of every county and category in Redis, so that experts
// see and claim them without a database scan. Postgres stays the truth: Rebuild makes the
// queues agree with it again after Redis loses them.
type Queue struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewQueue uses rdb with every key starting with prefix (e.g. "agriclinic:"), so that
// several deployments or test runs can share one Redis.
func NewQueue(rdb redis.UniversalClient, prefix string) *Queue {
	return &Queue{rdb: rdb, prefix: prefix}
}

// Ping checks that Redis answers.
func (q *Queue) Ping(ctx context.Context) error {
	return q.rdb.Ping(ctx).Err()
}

// Entry is a question waiting in a queue.
type Entry struct {
	QuestionID int64
	Category   string
	AskedAt    time.Time
	// Priority, when set, puts the question before every question that has none
	// (reopened, returned by an expired claim, transferred); among those, by this time.
	Priority time.Time
}

// headOffset moves a prioritised question's score below every asked time.
const headOffset = 1 << 42 // about 139 years in milliseconds

func (e Entry) score() float64 {
	if !e.Priority.IsZero() {
		return float64(e.Priority.UnixMilli() - headOffset)
	}
	return float64(e.AskedAt.UnixMilli())
}

func entryFromScore(id int64, category string, score float64) Entry {
	ms := int64(score)
	if ms < 0 {
		return Entry{QuestionID: id, Category: category, Priority: time.UnixMilli(ms + headOffset)}
	}
	return Entry{QuestionID: id, Category: category, AskedAt: time.UnixMilli(ms)}
}

// Push puts a question in its queue, or moves it to where e says. A question back in a
// queue is open again, so the claim race it was in (see Arbitrate) is forgotten.
func (q *Queue) Push(ctx context.Context, county string, e Entry) error {
	return q.PushMany(ctx, []CountyEntry{{County: county, Entry: e}})
}

// CountyEntry is a queue entry with its county, for PushMany.
type CountyEntry struct {
	County string
	Entry
}

// PushMany pushes many questions in one round trip, as Push does each.
func (q *Queue) PushMany(ctx context.Context, entries []CountyEntry) error {
	if len(entries) == 0 {
		return nil
	}
	pipe := q.rdb.Pipeline()
	for _, e := range entries {
		pipe.ZAdd(ctx, q.queueKey(e.County, e.Category), redis.Z{Score: e.score(), Member: member(e.QuestionID)})
		pipe.Del(ctx, q.claimKey(e.QuestionID))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("queue push: %w", err)
	}
	return nil
}

// arbitrateScript decides a claim race: the first expert to ask is the question's
// claimant until the mark expires; everyone after them learns who it is.
//
// KEYS[1]: the question's claim mark. ARGV[1]: the expert's id; ARGV[2]: the mark's life
// in ms. Returns the mark: the claimant's id, then a space and their name once Claimed has
// added it (ARGV[1] when this call won).
var arbitrateScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder then
  return holder
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`)

// nameScript adds the winner's name to their mark, for those who lose to them.
//
// KEYS[1]: the claim mark. ARGV[1]: the winner's id; ARGV[2]: their name.
var nameScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'KEEPTTL')
end
return 0
`)

// forgetScript drops a claim mark if it is still the given expert's.
//
// KEYS[1]: the claim mark. ARGV[1]: the expert's id.
var forgetScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder and (holder == ARGV[1] or string.sub(holder, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ') then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Arbitrate settles a race of experts claiming a question before any of them writes to
// Postgres: the first caller wins and gets its own id back; every later caller gets the
// winner's id (and name, once the claim is stored: Claimed) without a transaction. Only
// someone who may claim the question should race for it (consult checks first): whoever
// holds the mark, however briefly, is the one everyone else is told has it. The mark lives for ttl, long enough for the winner to store the claim; after
// that Postgres says who holds the question. Postgres keeps the last word: a winner whose
// claim the database refuses (not an expert, the question is no longer open) calls
// Forget, and a question that goes back to a queue loses its mark (Push).
func (q *Queue) Arbitrate(ctx context.Context, questionID, expertID int64, ttl time.Duration) (int64, string, error) {
	presses := []Press{{QuestionID: questionID, ExpertID: expertID}}
	if err := q.ArbitrateMany(ctx, presses, ttl); err != nil {
		return 0, "", err
	}
	return presses[0].Holder, presses[0].HolderName, nil
}

// Press is one press of Claim for ArbitrateMany, which fills in the question's holder.
type Press struct {
	QuestionID, ExpertID int64
	Holder               int64
	HolderName           string
}

// ArbitrateMany settles presses that arrived together, in one round trip, each as
// Arbitrate would and in the order given: of two presses for one question, the first
// wins.
func (q *Queue) ArbitrateMany(ctx context.Context, presses []Press, ttl time.Duration) error {
	pipe := q.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(presses))
	for i, p := range presses {
		cmds[i] = arbitrateScript.Eval(ctx, pipe, []string{q.claimKey(p.QuestionID)}, member(p.ExpertID), ttl.Milliseconds())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("claim arbitration: %w", err)
	}
	for i, cmd := range cmds {
		v, err := cmd.Text()
		if err != nil {
			return fmt.Errorf("claim arbitration: %w", err)
		}
		id, name, _ := strings.Cut(v, " ")
		holder, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return fmt.Errorf("claim arbitration: bad mark %q", v)
		}
		presses[i].Holder, presses[i].HolderName = holder, name
	}
	return nil
}

// Claimed takes a claimed question out of its queue and adds the winner's name to the
// claim mark, for those who press Claim after them, in one round trip.
func (q *Queue) Claimed(ctx context.Context, county, category string, questionID, expertID int64, name string) error {
	return q.ClaimedMany(ctx, []ClaimedEntry{{County: county, Category: category, QuestionID: questionID, ExpertID: expertID, Name: name}})
}

// ClaimedEntry is a question claimed, for ClaimedMany.
type ClaimedEntry struct {
	County, Category     string
	QuestionID, ExpertID int64
	Name                 string
}

// ClaimedMany does what Claimed does for claims stored together, in one round trip.
func (q *Queue) ClaimedMany(ctx context.Context, claimed []ClaimedEntry) error {
	if len(claimed) == 0 {
		return nil
	}
	pipe := q.rdb.Pipeline()
	for _, c := range claimed {
		pipe.ZRem(ctx, q.queueKey(c.County, c.Category), member(c.QuestionID))
		nameScript.Eval(ctx, pipe, []string{q.claimKey(c.QuestionID)}, member(c.ExpertID), c.Name)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("queue claimed: %w", err)
	}
	return nil
}

// Forget drops expertID's claim mark on a question whose claim did not go through.
func (q *Queue) Forget(ctx context.Context, questionID, expertID int64) error {
	if err := forgetScript.Run(ctx, q.rdb, []string{q.claimKey(questionID)}, member(expertID)).Err(); err != nil {
		return fmt.Errorf("claim forget: %w", err)
	}
	return nil
}

// Remove takes a question out of its queue (it was claimed).
func (q *Queue) Remove(ctx context.Context, county, category string, questionID int64) error {
	if err := q.rdb.ZRem(ctx, q.queueKey(county, category), member(questionID)).Err(); err != nil {
		return fmt.Errorf("queue remove: %w", err)
	}
	return nil
}

// Peek returns up to limit waiting questions of a county's categories, oldest first, and
// how many wait in all.
func (q *Queue) Peek(ctx context.Context, county string, categories []string, limit int) ([]Entry, int64, error) {
	pipe := q.rdb.Pipeline()
	ranges := make([]*redis.ZSliceCmd, len(categories))
	counts := make([]*redis.IntCmd, len(categories))
	for i, c := range categories {
		key := q.queueKey(county, c)
		ranges[i] = pipe.ZRangeWithScores(ctx, key, 0, int64(limit)-1)
		counts[i] = pipe.ZCard(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, 0, fmt.Errorf("queue peek: %w", err)
	}
	var out []Entry
	var total int64
	for i, c := range categories {
		total += counts[i].Val()
		for _, z := range ranges[i].Val() {
			id, err := strconv.ParseInt(fmt.Sprint(z.Member), 10, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("queue peek: bad member %v in %s", z.Member, c)
			}
			out = append(out, entryFromScore(id, c, z.Score))
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.score(), b.score()), cmp.Compare(a.QuestionID, b.QuestionID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, total, nil
}

// Members returns every question waiting in one queue.
func (q *Queue) Members(ctx context.Context, county, category string) ([]int64, error) {
	vals, err := q.rdb.ZRange(ctx, q.queueKey(county, category), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("queue members: %w", err)
	}
	ids := make([]int64, 0, len(vals))
	for _, v := range vals {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("queue members: bad member %q", v)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// QueueStat is one queue's depth and its oldest question's time.
type QueueStat struct {
	Category string
	Depth    int64
	Oldest   time.Time // zero when empty
}

// Stats reads the depth and oldest entry of each of a county's queues in one round trip.
func (q *Queue) Stats(ctx context.Context, county string, categories []string) ([]QueueStat, error) {
	pipe := q.rdb.Pipeline()
	cards := make([]*redis.IntCmd, len(categories))
	firsts := make([]*redis.ZSliceCmd, len(categories))
	for i, c := range categories {
		cards[i] = pipe.ZCard(ctx, q.queueKey(county, c))
		firsts[i] = pipe.ZRangeWithScores(ctx, q.queueKey(county, c), 0, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	out := make([]QueueStat, len(categories))
	for i, c := range categories {
		out[i] = QueueStat{Category: c, Depth: cards[i].Val()}
		if z := firsts[i].Val(); len(z) > 0 {
			e := entryFromScore(0, c, z[0].Score)
			out[i].Oldest = cmp.Or(e.AskedAt, e.Priority)
		}
	}
	return out, nil
}
