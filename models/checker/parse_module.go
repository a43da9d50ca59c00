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
			p.fail(t.pos, "unexpected %s at the top level of module %s (infix operator definitions are not supported)", describe(t), m.Name)
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
			m.Assumes = append(m.Assumes, p.parseExpr(0))
		case "THEOREM", "LEMMA", "PROPOSITION", "COROLLARY":
			p.i++
			if p.peek().kind == tIdent && p.peekAt(1).text == "==" {
				p.i += 2
			}
			p.parseExpr(0) // checked by TLAPS, not by model checking
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
