package checker

import (
	"strconv"
)

// Config is a TLC model configuration (.cfg file).
type Config struct {
	File           string
	Init, Next     string
	Spec           string
	Invariants     []string
	Properties     []string
	Constraints    []string
	Symmetry, View string
	CheckDeadlock  bool
	Consts         map[string]Value             // NAME = value
	Aliases        map[string]string            // NAME <- Def
	ModAliases     map[string]map[string]string // NAME <- [Module] Def: only inside Module
	ConstOrder     []string
	Pos            map[string]Pos
}

var cfgSections = map[string]bool{
	"CONSTANT": true, "CONSTANTS": true, "INIT": true, "NEXT": true, "SPECIFICATION": true,
	"INVARIANT": true, "INVARIANTS": true, "PROPERTY": true, "PROPERTIES": true,
	"CHECK_DEADLOCK": true, "SYMMETRY": true, "VIEW": true, "CONSTRAINT": true,
	"CONSTRAINTS": true, "ACTION_CONSTRAINT": true, "ACTION_CONSTRAINTS": true,
	"ALIAS": true, "POSTCONDITION": true,
}

// ParseConfig reads a .cfg file. Like every parser here it returns an
// *Error with file:line:col on bad input and never panics.
func ParseConfig(file, src string) (cfg *Config, err error) {
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
			cfg, err = nil, b.err
		}
	}()
	cfg = &Config{File: file, CheckDeadlock: true, Consts: map[string]Value{}, Aliases: map[string]string{},
		ModAliases: map[string]map[string]string{}, Pos: map[string]Pos{}}
	section := ""
	for {
		t := p.peek()
		if t.kind == tEOF {
			break
		}
		if t.kind == tSep || t.kind == tEnd {
			p.i++
			continue
		}
		if t.kind == tIdent && cfgSections[t.text] {
			section = t.text
			p.i++
			if section == "CHECK_DEADLOCK" {
				v := p.next()
				switch v.text {
				case "TRUE":
					cfg.CheckDeadlock = true
				case "FALSE":
					cfg.CheckDeadlock = false
				default:
					p.fail(v.pos, "CHECK_DEADLOCK takes TRUE or FALSE, found %s", describe(v))
				}
				section = ""
			}
			continue
		}
		switch section {
		case "":
			p.fail(t.pos, "expected a section keyword (CONSTANTS, INIT, NEXT, SPECIFICATION, INVARIANT, PROPERTY, ...), found %s", describe(t))
		case "CONSTANT", "CONSTANTS":
			n := p.ident("in CONSTANTS")
			cfg.Pos[n.text] = n.pos
			cfg.ConstOrder = append(cfg.ConstOrder, n.text)
			if p.accept("<-") {
				if p.accept("[") {
					mod := p.ident("module name").text
					p.expect("]", "after [Module]")
					if cfg.ModAliases[mod] == nil {
						cfg.ModAliases[mod] = map[string]string{}
					}
					cfg.ModAliases[mod][n.text] = p.ident("after <-").text
					cfg.ConstOrder = cfg.ConstOrder[:len(cfg.ConstOrder)-1]
					continue
				}
				cfg.Aliases[n.text] = p.ident("after <-").text
				continue
			}
			p.expect("=", "after constant "+n.text)
			cfg.Consts[n.text] = p.cfgValue(n.text)
		default:
			n := p.ident("in " + section)
			cfg.Pos[n.text] = n.pos
			switch section {
			case "INIT":
				cfg.Init = n.text
			case "NEXT":
				cfg.Next = n.text
			case "SPECIFICATION":
				cfg.Spec = n.text
			case "INVARIANT", "INVARIANTS":
				cfg.Invariants = append(cfg.Invariants, n.text)
			case "PROPERTY", "PROPERTIES":
				cfg.Properties = append(cfg.Properties, n.text)
			case "CONSTRAINT", "CONSTRAINTS":
				cfg.Constraints = append(cfg.Constraints, n.text)
			case "SYMMETRY":
				cfg.Symmetry = n.text
			case "VIEW":
				cfg.View = n.text
			case "ALIAS":
				// ALIAS only changes how TLC prints traces; counts are unaffected.
			default:
				p.fail(n.pos, "section %s is not supported", section)
			}
		}
	}
	return cfg, nil
}

// cfgValue parses a value in a .cfg: numbers, strings, TRUE/FALSE, model
// values (a bare name), and sets or tuples of values.
func (p *parser) cfgValue(self string) Value {
	t := p.next()
	switch t.kind {
	case tNum:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			p.fail(t.pos, "number %s out of range", t.text)
		}
		return n
	case tStr:
		return t.text
	case tIdent:
		switch t.text {
		case "TRUE":
			return true
		case "FALSE":
			return false
		}
		if cfgSections[t.text] || keywords[t.text] {
			p.fail(t.pos, "expected a value, found %s", t.text)
		}
		return ModelValue(t.text)
	}
	switch t.text {
	case "-":
		n := p.next()
		v, err := strconv.ParseInt(n.text, 10, 64)
		if n.kind != tNum || err != nil {
			p.fail(n.pos, "expected a number after '-'")
		}
		return -v
	case "{", "<<":
		closer := "}"
		if t.text == "<<" {
			closer = ">>"
		}
		var el []Value
		if !p.accept(closer) {
			for {
				el = append(el, p.cfgValue(self))
				if !p.accept(",") {
					break
				}
			}
			p.expect(closer, "to close a value")
		}
		if closer == ">>" {
			return &SeqV{elems: el}
		}
		return mkSet(el)
	}
	p.fail(t.pos, "expected a value, found %s", describe(t))
	return nil
}
