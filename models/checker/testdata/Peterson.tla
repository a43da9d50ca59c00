------------------------------ MODULE Peterson ------------------------------
(* Peterson's mutual exclusion algorithm for processes 0 and 1. *)
EXTENDS Naturals

VARIABLES flag, turn, pc

vars == <<flag, turn, pc>>
P == {0, 1}
Other(p) == 1 - p

Init == /\ flag = [p \in P |-> FALSE]
        /\ turn = 0
        /\ pc = [p \in P |-> "ncs"]

SetFlag(p) == /\ pc[p] = "ncs"
              /\ flag' = [flag EXCEPT ![p] = TRUE]
              /\ pc' = [pc EXCEPT ![p] = "turn"]
              /\ UNCHANGED turn

SetTurn(p) == /\ pc[p] = "turn"
              /\ turn' = Other(p)
              /\ pc' = [pc EXCEPT ![p] = "wait"]
              /\ UNCHANGED flag

Enter(p) == /\ pc[p] = "wait"
            /\ \/ flag[Other(p)] = FALSE
               \/ turn = p
            /\ pc' = [pc EXCEPT ![p] = "cs"]
            /\ UNCHANGED <<flag, turn>>

Exit(p) == /\ pc[p] = "cs"
           /\ flag' = [flag EXCEPT ![p] = FALSE]
           /\ pc' = [pc EXCEPT ![p] = "ncs"]
           /\ UNCHANGED turn

Proc(p) == SetFlag(p) \/ SetTurn(p) \/ Enter(p) \/ Exit(p)

Next == \E p \in P : Proc(p)

Spec == Init /\ [][Next]_vars /\ \A p \in P : WF_vars(Proc(p))
UnfairSpec == Init /\ [][Next]_vars

TypeOK == /\ flag \in [P -> BOOLEAN]
          /\ turn \in P
          /\ pc \in [P -> {"ncs", "turn", "wait", "cs"}]

MutualExclusion == ~ (pc[0] = "cs" /\ pc[1] = "cs")

Liveness == \A p \in P : (pc[p] = "wait") ~> (pc[p] = "cs")
InfinitelyOftenCS == \A p \in P : []<>(pc[p] = "cs")
EventuallyCS == <>(pc[0] = "cs")
NeverCSForever == <>[](pc[0] # "cs")
Steps == [][Next]_vars
\* false: a process leaves the critical section again
StaysInCS == [](pc[0] = "cs" => [](pc[0] = "cs"))
\* true: once it set its flag, a process keeps it until it leaves the critical section
FlagStable == [](flag[0] => [](flag[0] \/ pc[0] = "ncs"))
=============================================================================
