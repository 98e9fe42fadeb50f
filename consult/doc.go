// Package consult is the consultation domain: counties and their categories, routing a
// question to a category, and the Service that runs the loop — bind a group, register an
// expert, ask, claim, answer — and decides who may do what.
//
// It knows nothing of Telegram's wire format or of how a message reads; package bot turns
// updates into calls here and results into messages. Storage is package store.
package consult
