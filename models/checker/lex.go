// Package checker is a model checker for the subset of TLA+ that the bttls
// specs (and the classic small examples) use: a lexer and parser for real
// TLA+ modules, a .cfg reader, an evaluator that compiles expressions to
// closures over compact values, a parallel breadth-first explorer whose
// counts match TLC's, and a liveness checker for the common temporal forms.
package checker

import (
	"fmt"
	"strings"
)

// Pos is a place in a source file; Line and Col count from 1.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a parse, evaluation or configuration error tied to a source place.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

func errAt(p Pos, format string, a ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, a...)}
}

type tokKind int

const (
	tEOF   tokKind = iota
	tIdent         // names, keywords
	tNum           // decimal natural number
	tStr           // "string"
	tOp            // punctuation and \-operators
	tSep           // ---- line (module boundary / separator)
	tEnd           // ==== line (end of module)
)

type token struct {
	kind tokKind
	text string
	pos  Pos
	end  Pos // last character of the token
}

// keywords cannot be used as identifiers.
var keywords = map[string]bool{
	"ASSUME": true, "ASSUMPTION": true, "AXIOM": true, "CASE": true, "CHOOSE": true,
	"CONSTANT": true, "CONSTANTS": true, "DOMAIN": true, "ELSE": true, "ENABLED": true,
	"EXCEPT": true, "EXTENDS": true, "IF": true, "IN": true, "INSTANCE": true,
	"LET": true, "LOCAL": true, "MODULE": true, "OTHER": true, "SF_": true,
	"SUBSET": true, "THEN": true, "THEOREM": true, "UNCHANGED": true, "UNION": true,
	"VARIABLE": true, "VARIABLES": true, "WF_": true, "WITH": true, "RECURSIVE": true,
	"LAMBDA": true, "LEMMA": true, "PROPOSITION": true, "COROLLARY": true,
}

// backslash operators, longest first is not needed: they are read as \word.
var bsOps = map[string]string{
	`\in`: `\in`, `\notin`: `\notin`, `\cup`: `\cup`, `\union`: `\cup`, `\cap`: `\cap`,
	`\intersect`: `\cap`, `\subseteq`: `\subseteq`, `\subset`: `\subset`, `\supseteq`: `\supseteq`,
	`\supset`: `\supset`, `\A`: `\A`, `\E`: `\E`, `\AA`: `\AA`, `\EE`: `\EE`,
	`\X`: `\X`, `\times`: `\X`, `\o`: `\o`, `\circ`: `\o`,
	`\div`: `\div`, `\leq`: `<=`, `\geq`: `>=`, `\lnot`: `~`, `\neg`: `~`, `\land`: `/\`,
	`\lor`: `\/`, `\equiv`: `<=>`, `\prec`: `\prec`, `\succ`: `\succ`, `\preceq`: `\preceq`,
	`\succeq`: `\succeq`, `\sqsubseteq`: `\sqsubseteq`, `\cdot`: `\cdot`, `\star`: `\star`,
	// user-definable operator symbols
	`\sqcap`: `\sqcap`, `\sqcup`: `\sqcup`, `\oplus`: `\oplus`, `\ominus`: `\ominus`,
	`\otimes`: `\otimes`, `\oslash`: `\oslash`, `\odot`: `\odot`, `\uplus`: `\uplus`,
	`\bigcirc`: `\bigcirc`, `\bullet`: `\bullet`, `\wr`: `\wr`, `\sim`: `\sim`,
	`\simeq`: `\simeq`, `\approx`: `\approx`, `\cong`: `\cong`, `\doteq`: `\doteq`,
	`\asymp`: `\asymp`, `\propto`: `\propto`, `\gg`: `\gg`, `\ll`: `\ll`,
	`\sqsubset`: `\sqsubset`, `\sqsupset`: `\sqsupset`, `\sqsupseteq`: `\sqsupseteq`,
	`\mid`: `\mid`, `\leadsto`: `~>`, `\lesssim`: `\lesssim`,
}

// symbolic operators, longest first so that "<=>" wins over "<=".
var symOps = []string{
	"-+->", "<=>", "|->", "...", "(+)", "(-)", "(.)", "(/)", "(\\X)", "::=",
	"==", "/\\", "\\/", "=>", "=<", "<=", ">=", "/=", "~>", "[]", "<>", "<<", ">>", "->", "<-",
	"..", "::", "@@", ":>", "<:", "++", "--", "**", "//", "^^", "||", "|-", "-|", "|=", "=|", "!!", ":=",
	"&&", "$$", "??", "%%", "##", "^+", "^*", "^#",
	"=", "#", "<", ">", "+", "-", "*", "/", "^", "%", "~", "'", "(", ")", "[", "]", "{", "}",
	",", ":", ".", "!", "@", "|", "&", "$", "?", "_", ";",
}

// lex splits src into tokens. Comments are dropped; "----" and "====" lines
// become separator tokens so the module parser can find unit boundaries.
func lex(file, src string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	i := 0
	adv := func(n int) {
		for k := 0; k < n && i < len(src); k++ {
			if src[i] == '\n' {
				line++
				col = 1
			} else if src[i]&0xC0 != 0x80 {
				col++
			}
			i++
		}
	}
	patched := 0
	for i < len(src) {
		if len(toks) > patched {
			// the previous token ended just before the current position
			toks[len(toks)-1].end = Pos{file, line, col - 1}
			patched = len(toks)
		}
		c := src[i]
		p := Pos{file, line, col}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
			adv(1)
			continue
		case c == '\\' && i+1 < len(src) && src[i+1] == '*':
			for i < len(src) && src[i] != '\n' {
				adv(1)
			}
			continue
		case c == '(' && i+1 < len(src) && src[i+1] == '*':
			depth := 0
			for {
				if i >= len(src) {
					return nil, errAt(p, "unterminated comment (* ... *)")
				}
				if strings.HasPrefix(src[i:], "(*") {
					depth++
					adv(2)
					continue
				}
				if strings.HasPrefix(src[i:], "*)") {
					depth--
					adv(2)
					if depth == 0 {
						break
					}
					continue
				}
				adv(1)
			}
			continue
		case c == '-' && strings.HasPrefix(src[i:], "----"):
			for i < len(src) && src[i] == '-' {
				adv(1)
			}
			toks = append(toks, token{kind: tSep, text: "----", pos: p})
			continue
		case c == '=' && strings.HasPrefix(src[i:], "===="):
			for i < len(src) && src[i] == '=' {
				adv(1)
			}
			toks = append(toks, token{kind: tEnd, text: "====", pos: p})
			continue
		case c == '"':
			var sb strings.Builder
			adv(1)
			for {
				if i >= len(src) || src[i] == '\n' {
					return nil, errAt(p, "unterminated string literal")
				}
				if src[i] == '"' {
					adv(1)
					break
				}
				if src[i] == '\\' && i+1 < len(src) {
					switch src[i+1] {
					case 'n':
						sb.WriteByte('\n')
					case 't':
						sb.WriteByte('\t')
					case 'r':
						sb.WriteByte('\r')
					case 'f':
						sb.WriteByte('\f')
					default:
						sb.WriteByte(src[i+1])
					}
					adv(2)
					continue
				}
				sb.WriteByte(src[i])
				adv(1)
			}
			toks = append(toks, token{kind: tStr, text: sb.String(), pos: p})
			continue
		case isDigit(c):
			j := i
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j < len(src) && isIdentChar(src[j]) && !(src[j] == '_') {
				// TLA+ allows names such as 1a; treat the whole word as a name.
				for j < len(src) && isIdentChar(src[j]) {
					j++
				}
				toks = append(toks, token{kind: tIdent, text: src[i:j], pos: p})
				adv(j - i)
				continue
			}
			toks = append(toks, token{kind: tNum, text: src[i:j], pos: p})
			adv(j - i)
			continue
		case c == '_' && len(toks) > 0 && (toks[len(toks)-1].text == "]" || toks[len(toks)-1].text == ">>") && toks[len(toks)-1].kind == tOp:
			// "]_" and ">>_" start the subscript of [A]_v and <<A>>_v.
			toks = append(toks, token{kind: tOp, text: "_", pos: p})
			adv(1)
			continue
		case isIdentChar(c):
			j := i
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			w := src[i:j]
			if strings.HasPrefix(w, "WF_") || strings.HasPrefix(w, "SF_") {
				toks = append(toks, token{kind: tIdent, text: w[:3], pos: p})
				adv(3)
				continue
			}
			toks = append(toks, token{kind: tIdent, text: w, pos: p})
			adv(j - i)
			continue
		case c == '\\' && i+1 < len(src) && isLetter(src[i+1]):
			j := i + 1
			for j < len(src) && isLetter(src[j]) {
				j++
			}
			w := src[i:j]
			op, ok := bsOps[w]
			if !ok {
				return nil, errAt(p, "unknown operator %s", w)
			}
			toks = append(toks, token{kind: tOp, text: op, pos: p})
			adv(j - i)
			continue
		}
		matched := false
		for _, op := range symOps {
			if strings.HasPrefix(src[i:], op) {
				toks = append(toks, token{kind: tOp, text: op, pos: p})
				adv(len(op))
				matched = true
				break
			}
		}
		if !matched {
			if c == '\\' {
				toks = append(toks, token{kind: tOp, text: `\`, pos: p})
				adv(1)
				continue
			}
			return nil, errAt(p, "unexpected character %q", rune(c))
		}
	}
	if len(toks) > patched {
		toks[len(toks)-1].end = Pos{file, line, col - 1}
	}
	toks = append(toks, token{kind: tEOF, pos: Pos{file, line, col}})
	return toks, nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_'
}
