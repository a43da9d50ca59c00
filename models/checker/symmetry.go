package checker

import (
	"fmt"
	"slices"
	"strings"
)

// Symmetry reduction (SYMMETRY in the .cfg): the fingerprint of a state is
// the least fingerprint of its images under the permutations of model
// values, so all states of one orbit count as one. The counts do not depend
// on which member represents an orbit, so they equal TLC's.

type perm map[ModelValue]ModelValue

// compileSymmetry evaluates the SYMMETRY definition: a set of permutations,
// each a function from model values to model values.
func (md *Model) compileSymmetry(name string) error {
	d, err := md.lookupTop(name, "SYMMETRY")
	if err != nil {
		return err
	}
	f, dyn := md.cp.expr(&Expr{Kind: eName, Name: d.Name, Pos: d.Pos}, md.rootScope(), mNormal)
	if dyn {
		return errAt(d.Pos, "SYMMETRY %s must be a constant set of permutations", name)
	}
	var set Value
	if err := evalGuard(func() { set = f(md.newCtx()) }); err != nil {
		return err
	}
	el, ok := tryElems(set)
	if !ok {
		return errAt(d.Pos, "SYMMETRY %s is not a finite set: %s", name, Format(set))
	}
	for _, p := range el {
		keys, vals, ok := fnParts(p)
		if !ok {
			return errAt(d.Pos, "SYMMETRY %s contains %s, which is not a permutation", name, Format(p))
		}
		pm := perm{}
		for i, k := range keys {
			a, ok1 := k.(ModelValue)
			b, ok2 := vals[i].(ModelValue)
			if !ok1 || !ok2 {
				return errAt(d.Pos, "SYMMETRY %s: permutations must map model values to model values, found %s", name, Format(p))
			}
			pm[a] = b
		}
		md.perms = append(md.perms, pm)
	}
	if len(md.perms) == 0 {
		return fmt.Errorf("checker: SYMMETRY %s is empty", name)
	}
	// Like TLC, use the group the permutations generate (Permutations(A)
	// \cup Permutations(B) generates every combination): the least
	// fingerprint over a group is the same for every state of an orbit.
	group, err := closeGroup(md.perms)
	if err != nil {
		return errAt(d.Pos, "SYMMETRY %s: %v", name, err)
	}
	md.perms = group
	return nil
}

func (p perm) key() string {
	ks := make([]string, 0, len(p))
	for a, b := range p {
		if a != b {
			ks = append(ks, string(a)+"\x00"+string(b))
		}
	}
	slices.Sort(ks)
	return strings.Join(ks, "\x01")
}

// compose is p after q.
func compose(p, q perm) perm {
	out := perm{}
	for a, b := range q {
		out[a] = b
	}
	for a, b := range out {
		if c, ok := p[b]; ok {
			out[a] = c
		}
	}
	for a, b := range p {
		if _, ok := out[a]; !ok {
			out[a] = b
		}
	}
	return out
}

const maxGroup = 50000

func closeGroup(gens []perm) ([]perm, error) {
	seen := map[string]bool{}
	var group []perm
	add := func(p perm) {
		if k := p.key(); !seen[k] {
			seen[k] = true
			group = append(group, p)
		}
	}
	add(perm{})
	for _, g := range gens {
		add(g)
	}
	for i := 0; i < len(group); i++ {
		for _, g := range gens {
			add(compose(g, group[i]))
			if len(group) > maxGroup {
				return nil, fmt.Errorf("the generated group has more than %d permutations", maxGroup)
			}
		}
	}
	return group, nil
}

// permute applies a permutation of model values to a value.
func permute(v Value, p perm) Value {
	switch x := v.(type) {
	case ModelValue:
		if y, ok := p[x]; ok {
			return y
		}
		return x
	case *SetV:
		el := make([]Value, len(x.elems))
		for i, e := range x.elems {
			el[i] = permute(e, p)
		}
		return mkSet(el)
	case *SeqV:
		el := make([]Value, len(x.elems))
		for i, e := range x.elems {
			el[i] = permute(e, p)
		}
		return &SeqV{elems: el}
	case *FnV:
		keys := make([]Value, len(x.keys))
		vals := make([]Value, len(x.vals))
		for i := range x.keys {
			keys[i] = permute(x.keys[i], p)
			vals[i] = permute(x.vals[i], p)
		}
		return mkFn(keys, vals)
	}
	return v
}
