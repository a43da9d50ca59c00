package checker

import "fmt"

// ParseModule parses one TLA+ module from src; file names positions in errors.
// It never panics: every malformed input yields an *Error with file:line:col.
func ParseModule(file, src string) (m *Module, err error) {
	toks, lerr := lex(file, src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			m, err = nil, b.err
		}
	}()
	return p.module(file), nil
}

// ParseExpr parses a standalone expression (used by tests and the fuzzer).
func ParseExpr(file, src string) (e *Expr, err error) {
	toks, lerr := lex(file, src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{toks: toks}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			e, err = nil, b.err
		}
	}()
	e = p.parseExpr(0)
	if t := p.peek(); t.kind != tEOF {
		p.fail(t.pos, "unexpected %s after the expression", describe(t))
	}
	return e, nil
}

func (p *parser) module(file string) *Module {
	// Text before the first "---- MODULE" line is commentary.
	for {
		t := p.toks[p.i]
		if t.kind == tEOF {
			p.fail(t.pos, "no \"---- MODULE Name ----\" header found")
		}
		if t.kind == tSep && p.toks[p.i+1].text == "MODULE" {
			break
		}
		p.i++
	}
	p.i++
	p.expect("MODULE", "in the module header")
	name := p.ident("after MODULE")
	if p.peek().kind != tSep {
		p.fail(p.peek().pos, "expected \"----\" after the module name, found %s", describe(p.peek()))
	}
	p.i++
	m := &Module{Name: name.text, File: file}
	local := false
	for {
		t := p.peek()
		if t.kind == tEnd {
			return m
		}
		if t.kind == tEOF {
			p.fail(t.pos, "module %s is not closed with \"====\"", m.Name)
		}
		if t.kind == tSep {
			p.i++
			if p.is("MODULE") {
				p.fail(t.pos, "nested modules are not supported")
			}
			continue
		}
		if t.kind != tIdent {
			p.fail(t.pos, "unexpected %s at the top level of module %s (a definition, declaration or \"====\" was expected)", describe(t), m.Name)
		}
		switch t.text {
		case "EXTENDS":
			p.i++
			for {
				m.Extends = append(m.Extends, p.ident("after EXTENDS").text)
				if !p.accept(",") {
					break
				}
			}
		case "CONSTANT", "CONSTANTS":
			p.i++
			for {
				n := p.ident("after CONSTANT")
				prm := Param{Name: n.text}
				if p.accept("(") {
					for {
						p.expect("_", "in a constant operator")
						prm.Arity++
						if !p.accept(",") {
							break
						}
					}
					p.expect(")", "to close a constant operator")
				}
				m.Constants = append(m.Constants, prm)
				if !p.accept(",") {
					break
				}
			}
		case "VARIABLE", "VARIABLES":
			p.i++
			for {
				n := p.ident("after VARIABLE")
				m.Variables = append(m.Variables, n.text)
				m.VarPos = append(m.VarPos, n.pos)
				if !p.accept(",") {
					break
				}
			}
		case "ASSUME", "ASSUMPTION", "AXIOM":
			p.i++
			if n := p.peek(); n.kind == tIdent && p.peekAt(1).text == "==" {
				// ASSUME Name == P: the name is for proofs
				p.i += 2
			}
			m.Assumes = append(m.Assumes, p.parseExpr(0))
		case "THEOREM", "LEMMA", "PROPOSITION", "COROLLARY", "USE", "HIDE":
			// Theorems and their proofs are for TLAPS, not for model
			// checking: skip to the next unit that starts in column 1.
			p.i++
			p.skipToUnit()
		case "RECURSIVE":
			p.i++
			p.recursiveDecl()
		case "LOCAL":
			p.i++
			local = true
			continue
		case "INSTANCE":
			m.Instances = append(m.Instances, p.instance())
		default:
			if keywords[t.text] {
				p.fail(t.pos, "unexpected keyword %s at the top level", t.text)
			}
			m.Defs = append(m.Defs, p.definition(local))
		}
		local = false
	}
}

// String renders a position list for messages.
func (m *Module) String() string { return fmt.Sprintf("module %s (%s)", m.Name, m.File) }

// unitKeywords start a top-level unit of a module.
var unitKeywords = map[string]bool{
	"EXTENDS": true, "CONSTANT": true, "CONSTANTS": true, "VARIABLE": true, "VARIABLES": true,
	"ASSUME": true, "ASSUMPTION": true, "AXIOM": true, "THEOREM": true, "LEMMA": true,
	"PROPOSITION": true, "COROLLARY": true, "RECURSIVE": true, "LOCAL": true, "INSTANCE": true,
	"USE": true, "HIDE": true,
}

// skipToUnit skips tokens up to the next token in column 1 that starts a
// unit: a keyword above, a definition (Name ==, Name(...) ==, f[...] ==,
// a OP b ==), a "----" line or the end of the module.
func (p *parser) skipToUnit() {
	for {
		t := p.toks[p.i]
		switch {
		case t.kind == tEOF || t.kind == tEnd:
			return
		case t.pos.Col == 1 && t.kind == tSep:
			return
		case t.pos.Col == 1 && t.kind == tIdent && unitKeywords[t.text]:
			return
		case t.pos.Col == 1 && t.kind == tIdent && !keywords[t.text] && p.startsDefinition():
			return
		}
		p.i++
	}
}

func (p *parser) startsDefinition() bool {
	next := p.toks[p.i+1]
	switch {
	case next.text == "==":
		return true
	case next.text == "(" || next.text == "[":
		closer := ")"
		if next.text == "[" {
			closer = "]"
		}
		depth := 0
		for k := p.i + 1; k < len(p.toks); k++ {
			switch p.toks[k].text {
			case next.text:
				depth++
			case closer:
				depth--
				if depth == 0 {
					return k+1 < len(p.toks) && p.toks[k+1].text == "=="
				}
			}
			if p.toks[k].kind == tEOF {
				return false
			}
		}
	case isInfixSymbol(next):
		return p.i+3 < len(p.toks) && p.toks[p.i+2].kind == tIdent && p.toks[p.i+3].text == "=="
	}
	return false
}
