package checker

// exprKind says which TLA+ construct an Expr is.
type exprKind int

const (
	eNum         exprKind = iota // Num
	eStr                         // Str
	eBool                        // Num != 0
	eName                        // Name, Args: identifier or operator application; Name may be "M!Op"
	eOp                          // Name is a built-in operator symbol, Args its operands
	eIf                          // Args: cond, then, else
	eCase                        // Args: guard, value, guard, value...; Other: OTHER arm or nil
	eLet                         // Defs, Args[0] body
	eChoose                      // Bounds[0], Args[0] predicate
	eForall                      // Bounds, Args[0]
	eExists                      // Bounds, Args[0]
	eSetEnum                     // Args
	eSetFilter                   // Bounds[0], Args[0]
	eSetMap                      // Args[0] element, Bounds
	eFnCons                      // Bounds, Args[0]
	eFnSet                       // Args: domain, range
	eRecord                      // Fields, Args
	eRecordSet                   // Fields, Args
	eExcept                      // Args[0] function, Excepts
	eApply                       // Args[0] function, Args[1:] arguments
	eDot                         // Args[0] record, Str field
	eTuple                       // Args
	eBoxAction                   // [A]_v: Args: A, v
	eAngleAction                 // <<A>>_v: Args: A, v
	eFair                        // WF_/SF_: Name "WF" or "SF", Args: v, A
	eAt                          // @ inside EXCEPT
	eLambda                      // unused placeholder for LAMBDA (rejected)
)

// Expr is one node of a parsed TLA+ expression.
type Expr struct {
	Kind    exprKind
	Pos     Pos
	End     Pos // last character, for TLC-style "line L, col C to line L2, col C2"
	Name    string
	Str     string
	Num     int64
	Args    []*Expr
	Bounds  []Bound
	Defs    []*Def
	Fields  []string
	Other   *Expr
	Excepts []Except
}

// Bound is "x, y \in S" or "<<x, y>> \in S" in a quantifier or constructor.
type Bound struct {
	Names []string
	Tuple bool // <<x, y>> \in S binds the components of each element
	Set   *Expr
	Pos   Pos
}

// Except is one "![a][b].c = e" clause of an EXCEPT.
type Except struct {
	Path []PathElem
	Val  *Expr
}

// PathElem is one step of an EXCEPT path: an index [e] or a field .f.
type PathElem struct {
	Field string
	Index *Expr // nil for a field
}

// Param is a formal parameter; Arity > 0 for an operator parameter F(_, _).
type Param struct {
	Name  string
	Arity int
}

// Def is an operator or function definition.
type Def struct {
	Name      string
	Pos       Pos
	Params    []Param
	FnBounds  []Bound // f[x \in S] == e defines a function
	Body      *Expr
	Recursive bool
	Local     bool
	Inst      *Instance // N(p) == INSTANCE M WITH ...
}

// Instance is "INSTANCE M WITH a <- e, ...".
type Instance struct {
	Module string
	With   map[string]*Expr
	Pos    Pos
}

// Module is a parsed TLA+ module.
type Module struct {
	Name      string
	File      string
	Extends   []string
	Constants []Param
	Variables []string
	VarPos    []Pos
	Defs      []*Def
	Assumes   []*Expr
	Instances []*Instance // unnamed INSTANCE: its definitions join this module
}
