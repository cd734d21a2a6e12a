"""Tables and lookups the views show: pure functions over Analysis, findings, Plan and Review.

    views.notes_table(analysis, ["mem_3#0"], plan)   # the selected notes, in full
    views.plan_frame(plan)                           # one row per operation
    views.conflict_history(analysis, subject.members)
    views.question_cards(plan, review)              # the questions, most valuable first, as cards show them

`workbench.plots` draws these; `workbench.ui` shows them; a notebook can use them directly.
No plotting, no widgets.
"""

from .conflicts import ConflictSubject, conflict_history, conflict_subjects, resolving_operations
from .fates import (
    ExportPreview,
    decided_plan,
    export_preview,
    fate_counts,
    fate_differences,
    fate_flows,
)
from .header import header_counts
from .map import (
    Links,
    extra_points,
    link_count,
    link_pairs,
    link_segments,
    map_points,
    support_matrix,
)
from .notes import (
    Mention,
    NoteContext,
    duplicates_frame,
    note_context,
    notes_table,
    search_notes,
    selection_ready,
    warm_selection,
)
from .operations import (
    SORTS,
    EvidenceLine,
    OperationQuery,
    diff_rows,
    evidence_lines,
    operation_documents,
    operation_texts,
    plan_frame,
    select_operations,
    target_dates,
)
from .questions import (
    NEVER_AUTOMATIC,
    ChoiceView,
    QuestionCardView,
    QuestionNote,
    QuestionSummary,
    choice_effect,
    operation_effect,
    ordered_questions,
    question_card,
    question_cards,
    question_rows,
    question_summary,
)
from .titles import FATES, TITLE_LIMIT, cut_words, sha256_hex, short_title, top_folder

__all__ = [
    "FATES", "TITLE_LIMIT", "SORTS", "Links", "Mention", "NoteContext", "ConflictSubject", "EvidenceLine",
    "ExportPreview", "OperationQuery", "short_title", "cut_words", "sha256_hex", "top_folder", "map_points",
    "link_pairs", "link_count", "link_segments", "extra_points", "support_matrix", "search_notes", "notes_table",
    "duplicates_frame", "note_context", "warm_selection", "selection_ready", "conflict_subjects", "conflict_history", "resolving_operations",
    "plan_frame", "select_operations", "evidence_lines", "target_dates", "decided_plan", "export_preview",
    "fate_counts", "fate_flows", "fate_differences", "diff_rows", "operation_texts", "operation_documents",
    "NEVER_AUTOMATIC", "ChoiceView", "QuestionCardView", "QuestionNote", "QuestionSummary", "choice_effect",
    "operation_effect", "ordered_questions", "question_card", "question_cards", "question_rows", "question_summary",
    "header_counts",
]
