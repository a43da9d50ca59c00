package checker

import (
	"strconv"
)

// parser reads tokens into Exprs. TLA+'s junction lists (/\ and \/ bullets
// aligned in a column) are handled with a stack of column limits: while an
// item of a list whose bullet is at column c is parsed, any token at column
// <= c ends the item, exactly as the indentation rule of the language says.
type parser struct {
	toks   []token
	i      int
	limits []int
	depth  int
}

// bailout carries a parse error up through the recursive descent; it is
// recovered at the package boundary, so callers only ever see an error.
type bailout struct{ err *Error }

func (p *parser) fail(pos Pos, format string, a ...any) {
	panic(bailout{errAt(pos, format, a...)})
}

func (p *parser) limit() int {
	if len(p.limits) == 0 {
		return 0
	}
	return p.limits[len(p.limits)-1]
}

// peek returns the next token, or an EOF token when the next token lies at
// or left of the current junction column (which ends the current item).
func (p *parser) peek() token {
	t := p.toks[p.i]
	if t.kind != tEOF && t.pos.Col <= p.limit() {
		return token{kind: tEOF, pos: t.pos}
	}
	return t
}

func (p *parser) peekAt(k int) token {
	if p.i+k >= len(p.toks) {
		return p.toks[len(p.toks)-1]
	}
	t := p.toks[p.i+k]
	if t.kind != tEOF && t.pos.Col <= p.limit() {
		return token{kind: tEOF, pos: t.pos}
	}
	return t
}

func (p *parser) next() token {
	t := p.peek()
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tOp || t.kind == tIdent) && t.text == text
}

func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(text, what string) token {
	t := p.peek()
	if !p.is(text) {
		p.fail(t.pos, "expected %q %s, found %s", text, what, describe(t))
	}
	p.i++
	return t
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tSep:
		return "\"----\""
	case tEnd:
		return "\"====\""
	case tStr:
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

func (p *parser) ident(what string) token {
	t := p.peek()
	if t.kind != tIdent || keywords[t.text] {
		p.fail(t.pos, "expected a name %s, found %s", what, describe(t))
	}
	p.i++
	return t
}

type infixInfo struct {
	prec  int
	right bool
}

var infixOps = map[string]infixInfo{
	"=>": {1, true}, "<=>": {2, false}, "~>": {2, false}, "-+->": {2, false},
	`\/`: {3, false}, `/\`: {4, false},
	"=": {5, false}, "#": {5, false}, "/=": {5, false}, "<": {5, false}, ">": {5, false},
	"<=": {5, false}, "=<": {5, false}, ">=": {5, false}, `\in`: {5, false}, `\notin`: {5, false},
	`\subseteq`: {5, false}, `\subset`: {5, false}, `\supseteq`: {5, false}, `\supset`: {5, false},
	`\prec`: {5, false}, `\succ`: {5, false}, `\preceq`: {5, false}, `\succeq`: {5, false},
	"@@": {6, false}, ":>": {7, false},
	`\cup`: {8, false}, `\cap`: {8, false}, `\`: {8, false},
	"..": {9, false},
	"+":  {10, false}, "-": {11, false}, "%": {10, false}, `\X`: {10, false}, "++": {10, false},
	"*": {13, false}, "/": {13, false}, `\div`: {13, false}, `\o`: {13, false}, `\cdot`: {13, false},
	"^": {14, true},
	// operators with no built-in meaning: a module may define them
	"--": {11, false}, "**": {13, false}, "//": {13, false}, "^^": {14, false},
	"&": {13, false}, "&&": {13, false}, "|": {10, false}, "||": {10, false},
	"$": {9, false}, "$$": {9, false}, "??": {9, false}, "%%": {10, false}, "##": {9, false},
	"(+)": {10, false}, "(-)": {11, false}, "(.)": {13, false}, "(/)": {13, false}, "(\\X)": {13, false},
	`\oplus`: {10, false}, `\ominus`: {11, false}, `\otimes`: {13, false}, `\oslash`: {13, false},
	`\odot`: {13, false}, `\uplus`: {9, false}, `\sqcap`: {9, false}, `\sqcup`: {9, false},
	`\star`: {13, false}, `\bigcirc`: {13, false}, `\bullet`: {13, false}, `\wr`: {9, false},
	`\sim`: {5, false}, `\simeq`: {5, false}, `\approx`: {5, false}, `\cong`: {5, false},
	`\doteq`: {5, false}, `\asymp`: {5, false}, `\propto`: {5, false}, `\gg`: {5, false},
	`\ll`: {5, false}, `\sqsubset`: {5, false}, `\sqsupset`: {5, false}, `\sqsupseteq`: {5, false},
	`\sqsubseteq`: {5, false}, `\mid`: {5, false}, `\lesssim`: {5, false},
	"|-": {5, false}, "-|": {5, false}, "|=": {5, false}, "=|": {5, false}, "<:": {7, false}, "::=": {5, false},
}

// isInfixSymbol reports whether t can name an infix operator in a definition.
func isInfixSymbol(t token) bool {
	if t.kind != tOp {
		return false
	}
	_, ok := infixOps[t.text]
	return ok && t.text != "=" && t.text != "=>" && t.text != `/\` && t.text != `\/` && t.text != `\in` && t.text != `\notin`
}

const maxDepth = 400

// parseExpr parses an expression whose infix operators bind at least minPrec.
func (p *parser) parseExpr(minPrec int) *Expr {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek().pos, "expression nested too deeply")
	}
	defer func() { p.depth-- }()
	left := p.parsePrefix()
	defer func() {
		if left != nil && left.End.Line == 0 && p.i > 0 {
			left.End = p.toks[p.i-1].end
		}
	}()
	for {
		t := p.peek()
		if t.kind != tOp {
			return left
		}
		switch t.text {
		case "'":
			p.i++
			left = &Expr{Kind: eOp, Name: "'", Pos: t.pos, Args: []*Expr{left}}
			continue
		case "[":
			p.i++
			args := p.exprList("]")
			if len(args) == 0 {
				p.fail(p.peek().pos, "a function application f[...] needs an argument, found %s", describe(p.peek()))
			}
			p.expect("]", "to close a function application")
			left = &Expr{Kind: eApply, Pos: t.pos, Args: append([]*Expr{left}, args...)}
			continue
		case ".":
			p.i++
			f := p.peek()
			if f.kind != tIdent && f.kind != tNum {
				p.fail(f.pos, "expected a field name after '.', found %s", describe(f))
			}
			p.i++
			left = &Expr{Kind: eDot, Pos: t.pos, Str: f.text, Args: []*Expr{left}}
			continue
		}
		info, ok := infixOps[t.text]
		if !ok || info.prec < minPrec {
			return left
		}
		p.i++
		if t.text == `\X` {
			args := []*Expr{left, p.parseExpr(info.prec + 1)}
			for p.is(`\X`) {
				p.i++
				args = append(args, p.parseExpr(info.prec+1))
			}
			left = &Expr{Kind: eOp, Name: `\X`, Pos: t.pos, Args: args}
			continue
		}
		np := info.prec + 1
		if info.right {
			np = info.prec
		}
		right := p.parseExpr(np)
		left = &Expr{Kind: eOp, Name: t.text, Pos: t.pos, Args: []*Expr{left, right}}
	}
}

func (p *parser) exprList(closer string) []*Expr {
	var out []*Expr
	if p.is(closer) {
		return out
	}
	for {
		out = append(out, p.parseExpr(0))
		if !p.accept(",") {
			return out
		}
	}
}

// junction parses a bullet list whose first bullet is the next token.
func (p *parser) junction() *Expr {
	b := p.next()
	col := b.pos.Col
	var items []*Expr
	for {
		p.limits = append(p.limits, col)
		items = append(items, p.parseExpr(0))
		p.limits = p.limits[:len(p.limits)-1]
		t := p.peek()
		if t.kind == tOp && t.text == b.text && t.pos.Col == col {
			p.i++
			continue
		}
		break
	}
	if len(items) == 1 {
		return items[0]
	}
	return &Expr{Kind: eOp, Name: b.text, Pos: b.pos, Args: items}
}

func (p *parser) parsePrefix() *Expr {
	t := p.peek()
	switch t.kind {
	case tEOF, tSep, tEnd:
		p.fail(t.pos, "expected an expression, found %s", describe(t))
	case tNum:
		p.i++
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			p.fail(t.pos, "number %s out of range", t.text)
		}
		return &Expr{Kind: eNum, Pos: t.pos, Num: n}
	case tStr:
		p.i++
		return &Expr{Kind: eStr, Pos: t.pos, Str: t.text}
	case tIdent:
		return p.parseWord()
	}
	switch t.text {
	case `/\`, `\/`:
		return p.junction()
	case "(":
		p.i++
		save := p.limits
		p.limits = nil
		e := p.parseExpr(0)
		p.limits = save
		p.expect(")", "to close '('")
		return e
	case "~":
		p.i++
		return &Expr{Kind: eOp, Name: "~", Pos: t.pos, Args: []*Expr{p.parseExpr(5)}}
	case "-":
		p.i++
		return &Expr{Kind: eOp, Name: "-.", Pos: t.pos, Args: []*Expr{p.parseExpr(12)}}
	case "[]":
		p.i++
		return &Expr{Kind: eOp, Name: "[]", Pos: t.pos, Args: []*Expr{p.parseExpr(5)}}
	case "<>":
		p.i++
		return &Expr{Kind: eOp, Name: "<>", Pos: t.pos, Args: []*Expr{p.parseExpr(5)}}
	case "@":
		p.i++
		return &Expr{Kind: eAt, Pos: t.pos}
	case `\A`, `\E`:
		p.i++
		bounds := p.bounds()
		p.expect(":", "after the bounds of a quantifier")
		body := p.parseExpr(0)
		k := eForall
		if t.text == `\E` {
			k = eExists
		}
		return &Expr{Kind: k, Pos: t.pos, Bounds: bounds, Args: []*Expr{body}}
	case `\AA`, `\EE`:
		p.fail(t.pos, "temporal quantifier %s is not supported", t.text)
	case "{":
		return p.setExpr()
	case "[":
		return p.bracketExpr()
	case "<<":
		p.i++
		save := p.limits
		p.limits = nil
		args := p.exprList(">>")
		p.expect(">>", "to close a tuple")
		p.limits = save
		if p.peek().text == "_" && p.peek().kind == tOp {
			p.i++
			v := p.parseExpr(16)
			if len(args) != 1 {
				p.fail(t.pos, "<<A>>_v needs exactly one action")
			}
			return &Expr{Kind: eAngleAction, Pos: t.pos, Args: []*Expr{args[0], v}}
		}
		return &Expr{Kind: eTuple, Pos: t.pos, Args: args}
	}
	p.fail(t.pos, "unexpected %s at the start of an expression", describe(t))
	return nil
}

func (p *parser) parseWord() *Expr {
	t := p.next()
	switch t.text {
	case "TRUE":
		return &Expr{Kind: eBool, Pos: t.pos, Num: 1}
	case "FALSE":
		return &Expr{Kind: eBool, Pos: t.pos, Num: 0}
	case "IF":
		c := p.parseExpr(0)
		p.expect("THEN", "after IF condition")
		a := p.parseExpr(0)
		p.expect("ELSE", "after THEN branch")
		b := p.parseExpr(0)
		return &Expr{Kind: eIf, Pos: t.pos, Args: []*Expr{c, a, b}}
	case "CASE":
		e := &Expr{Kind: eCase, Pos: t.pos}
		for {
			if p.accept("OTHER") {
				p.expect("->", "after OTHER")
				e.Other = p.parseExpr(0)
				break
			}
			g := p.parseExpr(0)
			p.expect("->", "after a CASE guard")
			v := p.parseExpr(0)
			e.Args = append(e.Args, g, v)
			if !p.accept("[]") {
				break
			}
		}
		return e
	case "LET":
		e := &Expr{Kind: eLet, Pos: t.pos}
		for !p.is("IN") {
			if p.peek().kind == tEOF {
				p.fail(p.peek().pos, "expected IN to end LET, found %s", describe(p.peek()))
			}
			if p.accept("RECURSIVE") {
				p.recursiveDecl()
				continue
			}
			e.Defs = append(e.Defs, p.definition(false))
		}
		p.expect("IN", "after LET definitions")
		e.Args = []*Expr{p.parseExpr(0)}
		return e
	case "CHOOSE":
		b := p.bound(true)
		p.expect(":", "after CHOOSE bound")
		return &Expr{Kind: eChoose, Pos: t.pos, Bounds: []Bound{b}, Args: []*Expr{p.parseExpr(0)}}
	case "SUBSET", "UNION":
		return &Expr{Kind: eOp, Name: t.text, Pos: t.pos, Args: []*Expr{p.parseExpr(8)}}
	case "DOMAIN":
		return &Expr{Kind: eOp, Name: t.text, Pos: t.pos, Args: []*Expr{p.parseExpr(9)}}
	case "ENABLED", "UNCHANGED":
		return &Expr{Kind: eOp, Name: t.text, Pos: t.pos, Args: []*Expr{p.parseExpr(5)}}
	case "WF_", "SF_":
		// The subscript is a name or a tuple: WF_vars(A) must not read
		// "vars(A)" as an application.
		var v *Expr
		if n := p.peek(); n.kind == tIdent && !keywords[n.text] {
			p.i++
			v = &Expr{Kind: eName, Pos: n.pos, Name: n.text}
		} else {
			v = p.parseExpr(16)
		}
		p.expect("(", "after the subscript of "+t.text)
		a := p.parseExpr(0)
		p.expect(")", "to close "+t.text+"(...)")
		return &Expr{Kind: eFair, Name: t.text[:2], Pos: t.pos, Args: []*Expr{v, a}}
	case "LAMBDA":
		e := &Expr{Kind: eLambda, Pos: t.pos}
		for {
			e.Fields = append(e.Fields, p.ident("as a LAMBDA parameter").text)
			if !p.accept(",") {
				break
			}
		}
		p.expect(":", "after the LAMBDA parameters")
		e.Args = []*Expr{p.parseExpr(0)}
		return e
	}
	if keywords[t.text] {
		p.fail(t.pos, "unexpected keyword %s in an expression", t.text)
	}
	if p.is("::") {
		// a label (lbl :: e) names a subexpression for proofs; it has no meaning here
		p.i++
		return p.parseExpr(0)
	}
	name := t.text
	e := &Expr{Kind: eName, Pos: t.pos, Name: name}
	if p.is("(") {
		p.i++
		e.Args = p.exprList(")")
		p.expect(")", "to close the arguments of "+name)
	}
	// M!Op or M(x)!Op: a definition from a named instance.
	for p.is("!") && (p.peekAt(1).kind == tIdent || p.peekAt(1).kind == tNum) {
		p.i++
		n := p.next()
		inst := e
		e = &Expr{Kind: eName, Pos: n.pos, Name: name + "!" + n.text, Other: inst}
		name = e.Name
		if p.is("(") {
			p.i++
			e.Args = p.exprList(")")
			p.expect(")", "to close the arguments of "+n.text)
		}
	}
	return e
}

// bounds parses "x, y \in S, <<a, b>> \in T".
func (p *parser) bounds() []Bound {
	var out []Bound
	for {
		out = append(out, p.bound(false))
		if !p.accept(",") {
			return out
		}
	}
}

func (p *parser) bound(allowUnbounded bool) Bound {
	start := p.peek().pos
	b := Bound{Pos: start}
	if p.accept("<<") {
		b.Tuple = true
		for {
			b.Names = append(b.Names, p.ident("in a tuple bound").text)
			if !p.accept(",") {
				break
			}
		}
		p.expect(">>", "to close a tuple bound")
	} else {
		b.Names = append(b.Names, p.ident("to bind").text)
		for p.is(",") && p.peekAt(1).kind == tIdent && !keywords[p.peekAt(1).text] {
			// "x, y \in S": only when a name and then , or \in follows.
			nt := p.peekAt(2)
			if nt.text != "," && nt.text != `\in` {
				break
			}
			p.i++
			b.Names = append(b.Names, p.next().text)
		}
	}
	if allowUnbounded && p.is(":") {
		return b
	}
	p.expect(`\in`, "in a bound (only bounded quantifiers are supported)")
	b.Set = p.parseExpr(6)
	return b
}

func (p *parser) setExpr() *Expr {
	t := p.next()
	save := p.limits
	p.limits = nil
	defer func() { p.limits = save }()
	if p.accept("}") {
		return &Expr{Kind: eSetEnum, Pos: t.pos}
	}
	// {x \in S : P} — a name or tuple, then \in, then the set, then ':'.
	if start := p.i; p.looksLikeBound() {
		b := p.bound(false)
		if p.accept(":") {
			pred := p.parseExpr(0)
			p.expect("}", "to close a set filter")
			return &Expr{Kind: eSetFilter, Pos: t.pos, Bounds: []Bound{b}, Args: []*Expr{pred}}
		}
		p.i = start
	}
	first := p.parseExpr(0)
	if p.accept(":") {
		bs := p.bounds()
		p.expect("}", "to close a set map")
		return &Expr{Kind: eSetMap, Pos: t.pos, Bounds: bs, Args: []*Expr{first}}
	}
	args := []*Expr{first}
	for p.accept(",") {
		args = append(args, p.parseExpr(0))
	}
	p.expect("}", "to close a set")
	return &Expr{Kind: eSetEnum, Pos: t.pos, Args: args}
}

func (p *parser) looksLikeBound() bool {
	t := p.peek()
	if t.kind == tIdent && !keywords[t.text] {
		k := 1
		for p.peekAt(k).text == "," && p.peekAt(k+1).kind == tIdent {
			k += 2
		}
		return p.peekAt(k).text == `\in`
	}
	if t.kind == tOp && t.text == "<<" {
		k := 1
		for {
			n := p.peekAt(k)
			if n.kind != tIdent {
				return false
			}
			s := p.peekAt(k + 1)
			if s.text == ">>" {
				return p.peekAt(k+2).text == `\in`
			}
			if s.text != "," {
				return false
			}
			k += 2
		}
	}
	return false
}

func (p *parser) bracketExpr() *Expr {
	t := p.next()
	save := p.limits
	p.limits = nil
	restore := func() { p.limits = save }
	// [a |-> e, ...] and [a : S, ...]
	if p.peek().kind == tIdent && (p.peekAt(1).text == "|->" || p.peekAt(1).text == ":") {
		sep := p.peekAt(1).text
		e := &Expr{Kind: eRecord, Pos: t.pos}
		if sep == ":" {
			e.Kind = eRecordSet
		}
		for {
			f := p.ident("as a record field")
			p.expect(sep, "after a record field")
			e.Fields = append(e.Fields, f.text)
			e.Args = append(e.Args, p.parseExpr(0))
			if !p.accept(",") {
				break
			}
		}
		p.expect("]", "to close a record")
		restore()
		return e
	}
	// [x \in S |-> e]
	if start := p.i; p.looksLikeBound() {
		bs := p.bounds()
		if p.accept("|->") {
			body := p.parseExpr(0)
			p.expect("]", "to close a function constructor")
			restore()
			return &Expr{Kind: eFnCons, Pos: t.pos, Bounds: bs, Args: []*Expr{body}}
		}
		p.i = start
	}
	first := p.parseExpr(0)
	switch {
	case p.accept("->"):
		rng := p.parseExpr(0)
		p.expect("]", "to close a function set")
		restore()
		return &Expr{Kind: eFnSet, Pos: t.pos, Args: []*Expr{first, rng}}
	case p.accept("EXCEPT"):
		e := &Expr{Kind: eExcept, Pos: t.pos, Args: []*Expr{first}}
		for {
			p.expect("!", "to start an EXCEPT clause")
			var ex Except
			for {
				if p.accept("[") {
					args := p.exprList("]")
					if len(args) == 0 {
						p.fail(p.peek().pos, "an EXCEPT path ![...] needs an index, found %s", describe(p.peek()))
					}
					p.expect("]", "in an EXCEPT path")
					idx := args[0]
					if len(args) > 1 {
						idx = &Expr{Kind: eTuple, Pos: args[0].Pos, Args: args}
					}
					ex.Path = append(ex.Path, PathElem{Index: idx})
				} else if p.accept(".") {
					ex.Path = append(ex.Path, PathElem{Field: p.ident("after '.' in EXCEPT").text})
				} else {
					break
				}
			}
			if len(ex.Path) == 0 {
				p.fail(p.peek().pos, "EXCEPT clause needs a path like ![x] or !.f")
			}
			p.expect("=", "in an EXCEPT clause")
			ex.Val = p.parseExpr(0)
			e.Excepts = append(e.Excepts, ex)
			if !p.accept(",") {
				break
			}
		}
		p.expect("]", "to close EXCEPT")
		restore()
		return e
	}
	p.expect("]", "to close '['")
	restore()
	if p.peek().kind == tOp && p.peek().text == "_" {
		p.i++
		v := p.parseExpr(16)
		return &Expr{Kind: eBoxAction, Pos: t.pos, Args: []*Expr{first, v}}
	}
	p.fail(t.pos, "expected [A]_v, a function, record or EXCEPT form")
	return nil
}

// definition parses "Name == e", "Name(p, F(_)) == e", "f[x \in S] == e"
// or "Name == INSTANCE M WITH ...".
func (p *parser) definition(local bool) *Def {
	// a OP b == e: a user-defined infix operator.
	if a, op, b, eq := p.peekAt(0), p.peekAt(1), p.peekAt(2), p.peekAt(3); a.kind == tIdent && isInfixSymbol(op) &&
		b.kind == tIdent && eq.text == "==" {
		p.i += 4
		d := &Def{Name: op.text, Pos: op.pos, Local: local, Params: []Param{{Name: a.text}, {Name: b.text}}}
		d.Body = p.parseExpr(0)
		return d
	}
	n := p.ident("to define")
	d := &Def{Name: n.text, Pos: n.pos, Local: local}
	if p.accept("(") {
		for {
			pn := p.ident("as a parameter")
			prm := Param{Name: pn.text}
			if p.accept("(") {
				for {
					p.expect("_", "in an operator parameter")
					prm.Arity++
					if !p.accept(",") {
						break
					}
				}
				p.expect(")", "to close an operator parameter")
			}
			d.Params = append(d.Params, prm)
			if !p.accept(",") {
				break
			}
		}
		p.expect(")", "to close the parameters of "+n.text)
	} else if p.accept("[") {
		d.FnBounds = p.bounds()
		p.expect("]", "to close the bounds of "+n.text)
	}
	p.expect("==", "in the definition of "+n.text)
	if p.is("INSTANCE") {
		d.Inst = p.instance()
		return d
	}
	d.Body = p.parseExpr(0)
	return d
}

func (p *parser) recursiveDecl() []string {
	var names []string
	for {
		n := p.ident("after RECURSIVE")
		names = append(names, n.text)
		if p.accept("(") {
			for !p.accept(")") {
				if p.peek().kind == tEOF {
					p.fail(p.peek().pos, "unterminated RECURSIVE declaration")
				}
				p.i++
			}
		}
		if !p.accept(",") {
			return names
		}
	}
}

func (p *parser) instance() *Instance {
	t := p.expect("INSTANCE", "")
	m := p.ident("after INSTANCE")
	in := &Instance{Module: m.text, With: map[string]*Expr{}, Pos: t.pos}
	if p.accept("WITH") {
		for {
			n := p.peek()
			if n.kind != tIdent && n.kind != tOp {
				p.fail(n.pos, "expected a name in WITH, found %s", describe(n))
			}
			p.i++
			p.expect("<-", "in a WITH substitution")
			in.With[n.text] = p.parseExpr(0)
			if !p.accept(",") {
				break
			}
		}
	}
	return in
}
