------------------------------ MODULE SymTokens ------------------------------
(* Processes pass tokens; with SYMMETRY the processes are interchangeable. *)
EXTENDS Naturals, FiniteSets, TLC

CONSTANTS Procs, Colors

VARIABLES holder, seen

Init == /\ holder \in [Colors -> Procs]
        /\ seen = {}

Pass(c, p) == /\ holder[c] # p
              /\ holder' = [holder EXCEPT ![c] = p]
              /\ seen' = seen \cup {<<c, p>>}

Next == \E c \in Colors, p \in Procs : Pass(c, p)

Sym == Permutations(Procs) \cup Permutations(Colors)

TypeOK == holder \in [Colors -> Procs] /\ seen \subseteq Colors \X Procs
=============================================================================
