package consult

import "errors"

// Errors a person can cause; package bot turns each into a clear answer in their language.
var (
	ErrNotAdmin         = errors.New("not a county admin")
	ErrUnknownTownship  = errors.New("unknown township")
	ErrGroupNotBound    = errors.New("group not bound to a township")
	ErrBoundElsewhere   = errors.New("group bound to another county")
	ErrEmptyQuestion    = errors.New("empty question")
	ErrNoCategories     = errors.New("no categories given")
	ErrUnknownCategory  = errors.New("unknown category")
	ErrAmbiguousCounty  = errors.New("county not clear")
	ErrNotExpert        = errors.New("not an approved expert for this")
	ErrNoSuchQuestion   = errors.New("no such question")
	ErrTaken            = errors.New("question claimed by someone else")
	ErrAlreadyYours     = errors.New("question already claimed by you")
	ErrNotHolder        = errors.New("question not claimed by you")
	ErrAlreadyAnswered  = errors.New("question already answered")
	ErrEmptyAnswer      = errors.New("empty answer")
	ErrAlreadyDecided   = errors.New("request already decided")
	ErrNoSuchRequest    = errors.New("no such request")
	ErrTooManyQuestions = errors.New("too many questions in a short time")
	ErrRepeated         = errors.New("the same question was just asked")
	ErrTooLong          = errors.New("question too long")
)

// Errors of the conversation after a question.
var (
	ErrNotAsker      = errors.New("only the farmer who asked may do this")
	ErrAlreadyRated  = errors.New("feedback already given")
	ErrNotAnswered   = errors.New("question not answered yet")
	ErrSameCategory  = errors.New("question already in that category")
	ErrNotPermitted  = errors.New("not allowed for this question")
	ErrUnknownMode   = errors.New("unknown group mode")
	ErrNothingToEdit = errors.New("no question at that message")
)
