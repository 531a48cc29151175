"""Hybrid retrieval: what customers' search boxes and the agent copilot ask of the index.

One query becomes one batch of Qdrant queries:
1. the main ranking: every dense model plus the lexical vector, fused by weighted RRF (the store's, ties by id),
   restricted to the query's language (lexical evidence means nothing across languages);
2. the best raw dense score in the query's language, to tell whether a good answer exists;
3. the best articles in the other languages (cross-lingual USE, plus the query's words that are
   already in the other language: typed in its script, or from the bilingual synonym groups), one
   of which is offered, labelled, when it has no translation in the query's language and matches
   the query better than anything in that language does (a missing translation must not mean "no
   results"). USE is used for this comparison because its vectors are aligned across languages;
   e5's are not, and its cosines sit in a narrow band that separates nothing.

Around that: Arabic dialect words are read as their MSA equivalents (articles are written in MSA),
the lexical query adds synonyms and typo corrections at a lower weight than the typed words, and
articles whose title or tags hold the query's words get a little credit in the fused ranking.

The audience filter (customers never see `internal` articles) is part of every Qdrant query, not
a step after it, so no code path can forget it. If a model fails, search degrades to lexical and
says so in `mode` and `degraded`, instead of failing the request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np

from copilot.article_votes import credit_votes, vote_credit
from copilot.calibration import (
    DEFAULT_LEXICAL_SCALE,
    cross_scales,
    density_scales,
    lexical_scales,
    own_scales,
    title_density,
)
from copilot.chunk_means import CHUNK_DEPTH, credit_rank, max_scores, mean_scores
from copilot.common_terms import PAYLOAD_FIELDS as CHUNK_TERM_FIELDS
from copilot.common_terms import ChunkFrequencies
from copilot.content_words import MODELS as CONTENT_MODELS
from copilot.content_words import applies as applies_content
from copilot.content_words import content_text, with_content
from copilot.dense_feedback import (
    AGREE_CHUNKS,
    FEEDBACK_ARTICLES,
    LEXICAL_CHUNKS,
    FeedbackVocabulary,
    agreed_article,
    asks_unheld,
    feedback_terms,
)
from copilot.dense_hubs import dense_hub_shares, shares_for, title_terms
from copilot.expansion import Synonyms, Vocabulary
from copilot.fitted_fusion import fusion_weights
from copilot.framed_lead import framing_names, request_lead
from copilot.heading_associations import PAYLOAD_FIELDS as ASSOCIATION_FIELDS
from copilot.heading_associations import HeadingAssociations
from copilot.heading_floor import HEADING_FLOOR, best_heading
from copilot.hub_articles import demote_hubs, hub_shares
from copilot.index_view import FromIndex, IndexSnapshot
from copilot.keyboard_layout import wrong_layout
from copilot.latin_terms import latin_terms
from copilot.lexicon_spellings import lexicon_spellings
from copilot.loanword_text import read_latin_terms, read_loanwords
from copilot.loanwords import loanword_terms
from copilot.model_spellings import model_spellings
from copilot.name_families import FAMILY_INTENT_SCALE, FAMILY_NAME_WEIGHT, family_names, framing_families, weighed
from copilot.nearest_words import PAYLOAD_FIELDS as NEAREST_FIELDS
from copilot.nearest_words import IndexWords, NearestTable, WordVectors
from copilot.own_titles import FAMILY_INTENT_MIX, INTENT_MIX, title_query, written_titles
from copilot.places import PlacePages
from copilot.product_names import index_names, intent_part, intent_sources
from copilot.query_adapter import fit_adapter
from copilot.query_coverage import article_terms, coverage, coverage_scales, near_topic
from copilot.query_kind import Kind, query_kind
from copilot.query_register import Register, query_register
from copilot.query_translation import MIN_CONFIDENCE, QueryTranslator
from copilot.query_vectors import BatchingQueryEmbedder, unit
from copilot.relevance_judge import JUDGE_TOP, RelevanceJudge, judged_abstains, judged_order
from copilot.section_coverage import SectionTerms, near_section, section_coverage, section_scales
from copilot.self_calibration import POOLED, REFERENCE_QUANTILES, carried_floors, lowered_floors, probes
from copilot.series_pages import defer_steps, step_links
from copilot.sibling_titles import prefer_specific
from copilot.slug_words import SlugTerms, slug_credit, slug_ids
from copilot.term_table import PAYLOAD_FIELDS, LiveTermTable, TermMiner
from copilot.title_agreement import agrees
from copilot.title_evidence import opening_keys
from copilot.title_lead import best_lead, credit_lead, title_lead
from copilot.title_names import title_names
from copilot.title_rarity import NameRarity, TitleRarity
from copilot.title_translations import TitleTranslations
from copilot.title_vectors import TitleMatrix, TitleVectors
from copilot.title_word_weights import TitleWordWeights
from copilot.tuning import ABSTAIN_FLOORS, CROSS_DECIDES, CROSS_DIRECTION_FLOORS, CROSS_ONLY_FLOORS, SearchTuning
from copilot.typed_reading import best_candidate_title, better_reading
from copilot.unanimous import unanimous_first
from copilot.unknown_names import unknown_names
from indexer.embedders import Embedder
from indexer.lexical import SPARSE_VECTOR, LexicalEncoder, SparseVector
from indexer.stores.base import PREFETCH, Hit, PayloadFilter, Source, StoreQuery, VectorStore
from kb.arabic import dialect_to_msa, has_arabic, normalize_arabic
from kb.audience import AGENT, PUBLIC, Audience, sees_internal, visibilities
from kb.bidi_text import in_reading_order
from kb.language import detect_language
from kb.settings import Settings
from kb.table_text import reply_form

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]
# Why results come from another language, or why there are none: a named set, so callers and logs
# can tell the cases apart without parsing a sentence. The language concerned is its own field.
#   not_translated: the best answer has no translation in the query's language (shown first);
#   few_articles: the query's language has few matching articles, other languages fill the page;
#   no_searchable_terms: nothing in the query can be searched (only stopwords, no model).
FallbackReason = Literal["not_translated", "few_articles", "no_searchable_terms"]
# Why an answer is worse than usual but still an answer: the models failed, search went lexical.
DegradedReason = Literal["embedding_unavailable"]

# A cross-lingual candidate goes first when it scores at least this (USE cosine) and beats the
# best same-language chunk. On the demo dev set (295 answerable queries, 8 missing-translation
# queries) this put 7 of 8 missing translations first, and 2 answerable queries got one wrongly.
FALLBACK_MIN_SCORE = 0.25
# When the query's language has no article at all (a help center not yet translated), only the
# other language can answer, so abstaining is judged on the cross-lingual USE score alone. Dev set,
# Arabic queries over the English articles only: 0.10 flags 24% of out-of-scope queries and 3.9%
# of answerable ones (the same-language floors flagged 62% of answerable ones there). Cross-lingual
# scores separate poorly, so this floor leans towards showing an article.
CROSS_ONLY_FLOOR = 0.10
# Another kind of evidence for the same case: how much of the help center sits near the question,
# not how well its best article matches it (copilot.calibration.title_density: e5 over the article
# language's titles, as a share of the index's own DensityScale). Abstain also when it is under this
# floor, per direction. Fitted on the demo's English queries over its Arabic articles: with the floors
# above 61% -> 83% of out-of-scope flagged, answerable unchanged at 3.1% (lowest answerable share
# -1.37, so the margin is thin); m365 (same direction, never fitted) unchanged at 93% / 1.3%: its
# out-of-scope questions sit at -0.8 to -0.1 on its own scale, so this floor neither helps nor costs
# there, and a floor fitted on m365 (-0.40) flags 66% of the demo's answerable queries (no transfer
# that way). No floor for Arabic over English: on the demo it separates nothing the floors above
# do not (its out-of-scope shares -0.8 to 0.3, answerable down to -0.9). Session 6 in bench/RESULTS.md.
CROSS_DENSITY_FLOORS = {("en", "ar"): -1.40}
# With LEVERS["e5_agreement"]: abstain also when e5's best title is not the first candidate's article
# (`cross_e5_agrees` 0, copilot.title_agreement) and the chunk share is under this floor, per direction.
# bench/eval_retrieval.py --suite fits it (the "e5 agreement" line, within --max-false of answerable beside
# the share floors above) and on the demo finds none in either direction: every floor that catches one more
# out-of-scope question flags answerable ones first, so no direction has one and the lever flags nothing
# even on (bench/RESULTS.md "Session 14, xabstain4").
CROSS_DISAGREEMENT_FLOORS: dict[tuple[str, str], float] = {}
# With LEVERS["fused_floor"]: abstain also when the fallback's first article's fused score (every source's weighted
# RRF rank plus the title, heading, chunk-mean, summary and lead credits) is under this floor, in first places of a
# weight-1 ranking (`cross_fused_top`, fused_places): the rankings scatter over the candidates instead of agreeing on
# one. The fusion's own units, no index statistic: the same on every help center, one floor for every direction. (As
# a share of the fusion's best for the query, the sources alone, it separates less: the intent and bridge sources
# some questions add raise that best and none of the credits.) Of the candidates measured (bench/xabst_probe.py) the
# one that separates best: AUC answerable above out-of-scope 0.885 demo ar>en, 0.865 en>ar, 0.948 m365 en>ar (the
# chunk share's 0.849 / 0.875 / 0.981, the title share's 0.860 / 0.789 / 0.952). Fitted on the demo's Arabic
# questions over its English-only articles within 4% of answerable (bench/eval_retrieval.py --suite, "fused floor"
# lines), midway between the out-of-scope question it adds (3.242) and the lowest answerable one (3.318); the
# lowest answerable elsewhere: demo en>ar 3.557, m365 en>ar 3.512, m365's customer slice 3.681 (bench/RESULTS.md
# "Session 18, xabst8").
CROSS_FUSED_FLOOR = 3.28
# Ranking other-language candidates: USE carries cross-lingual meaning, e5 adds a little.
# Fitted on both domains' cross-lingual cases (bench/eval_retrieval.py --suite, with TITLE_WEIGHT):
# e5 0.5 -> 1.0 and titles 1.0 -> 0.5 take demo Arabic over English-only 0.785 -> 0.789 and m365
# English over Arabic-only 0.768 -> 0.771 (each domain's own best: 0.790, 0.771).
CROSS_LINGUAL_WEIGHTS = {"use": 1.0, "e5": 1.0, "lexical": 0.5}
# With LEVERS["unknown_names"]: a question naming something no article mentions (copilot.unknown_names) abstains
# when at most this many of the same-language floors are met (each floor is one strong signal holding it up).
UNKNOWN_NAME_HELD = 1
ARTICLE_CREDIT = 0.15  # see _best_chunk_per_article
ARTICLE_CREDIT_CHUNKS = 2
# Title/tag credit, as a share of the best fused score a chunk can get (first in every source).
# Demo dev set, MRR@10 AR/EN: 0 -> 0.830/0.891, 0.2 -> 0.856/0.897, 0.4 -> 0.874/0.912,
# 0.6 -> 0.881/0.921, 0.8 -> 0.884/0.924; adding the summary did no better. The low end of the
# plateau, since another help center's titles may say less. A title that is only the article's
# opening words gives none (copilot.title_evidence): xquad-dev AR/EN 0.919/0.952 -> 0.936/0.961.
FIELD_CREDIT = 0.4
# Lexical query terms the customer did not type count less than those they did: a synonym group or
# a typo correction can be wrong for this query, the MSA of a dialect word cannot. Demo dev set,
# BM25 alone MRR@10 AR/EN: all 1.0 -> 0.653/0.745, these -> 0.678/0.762 (hybrid +0.003 each).
# Transliterations weigh as corrections: a sound key can match the wrong word as an edit distance can.
EXPANSION_WEIGHTS = {
    "dialect": 1.0,
    "synonyms": 0.7,
    "corrections": 0.7,
    "transliterations": 0.7,
    "loanwords": 0.7,
    "variants": 0.5,
    "verbal_nouns": 1.0,
    "spellings": 0.7,
    "feedback": 0.3,
    "associations": 0.3,
    "nearest": 0.3,
    "places": 1.0,
}
# Levers of the vocabulary layer, switchable so bench/eval_retrieval.py --levers measures each on
# both dev domains. transliteration (copilot.transliteration): m365 Arabic MRR@10 0.736 -> 0.752,
# demo unchanged. shared_words (Vocabulary.shared_words, typed words the other language's articles
# print, as bridge terms): m365 English over Arabic 0.716 -> 0.701, demo unchanged, so it is off.
# Hybrid MRR@10 with the lever off -> on, the others on (bench/lever_ablation.py, 2026-12-01; no
# lever moved abstention on either domain):
# loanwords (copilot.loanwords: "الباسورد" read as password and كلمة المرور): demo AR 0.879 -> 0.883,
# Arabic over English-only 0.777 -> 0.781, m365 AR 0.801 -> 0.817.
# variants (copilot.vocabulary_variants: the index's words of the query words' Arabic roots, weight
# 0.5; 0.3/0.7 did a little worse on one domain each): demo AR 0.880 -> 0.883, m365 AR 0.784 ->
# 0.817; families are no evidence for abstaining (see Expansion.lexical_parts).
# hubs (copilot.hub_articles: broad pages near many other articles' titles lose HUB_PENALTY of the
# best fused score, times their hub share; 0.2 to 0.35 is a plateau on both domains, 0.5 falls
# off): demo EN 0.916 -> 0.928, AR 0.874 -> 0.883, m365 AR 0.796 -> 0.817, xquad unchanged.
LEVERS = {
    "transliteration": True,
    "shared_words": False,
    "title_vectors": True,
    "term_table": True,
    "loanwords": True,
    "variants": True,
    "hubs": True,
    # e5 on the titles as one more ranking of the other language's candidates: off. It cost both dev domains and
    # the held-out sets in sum (bench/RESULTS.md "Session 10, heldout"); e5's cosines to the Arabic titles sit
    # within a few hundredths of each other for a short English question, so a hair decides its ranks ("report
    # scam": the sign-in page's title first, the phishing page's not in its first six). The three tests that failed
    # with it off pinned other levers on a near-tie it decided, and now assert margins (RESULTS "Session 11, titlee5").
    # The e5 title vectors stay built: own_titles, dense_hubs and the density signal read them.
    "title_e5": False,
    "headings": True,
    "framing": True,  # copilot.product_names: the query without its product names ranks too
    "own_titles": True,
    "latin_terms": True,
    "field_credit": True,  # Retriever._credit_fields: titles and tags that say what the query says
    "arabic_names": True,  # copilot.product_names: names typed in Arabic script ("اوتلوك") leave the intent too
    "titles_by_intent": True,  # copilot.own_titles.title_query: own titles asked the intent beside the query
    # copilot.title_names: a question typing a name the index's titles print ("منزل بلس", Manzil Plus) is
    # about something the help center has an article on: exempt from the cross-lingual floors
    "title_names": True,
    "title_lead": True,  # copilot.title_lead: the fallback's best USE title credited by its lead (TITLE_LEAD)
    "chunk_means": True,  # copilot.chunk_means: other-language candidates also ranked by their chunks' mean cosine
    "verbal_nouns": True,  # copilot.verbal_nouns: "اضيف" also searches the index's "إضافة"
    "family_intent": True,  # copilot.name_families: a query framed by a product family ranks its intent more
    "family_titles": True,  # copilot.own_titles.FAMILY_INTENT_MIX: a family-framed query's titles asked its intent more
    "family_names": True,  # copilot.name_families: a framed query's product-family names weigh less in BM25
    # copilot.heading_floor: abstain when only another language answers and no title or heading of the first
    # article matches the question at all (cross_heading_top < HEADING_FLOOR)
    "heading_floor": True,
    # copilot.title_agreement: abstain also when only another language answers, e5's best title is not the
    # first article's and the chunk share is under CROSS_DISAGREEMENT_FLOORS. Off, and no floor: fitted on the
    # demo it catches no out-of-scope question within 4% of answerable (bench/RESULTS.md "Session 14, xabstain4")
    "e5_agreement": False,
    # The density floor (CROSS_DENSITY_FLOORS) abstains only when one of the two share floors
    # (CROSS_DIRECTION_FLOORS) agrees, not alone. Off: it makes m365's floor fit transfer to the demo (refitted,
    # 100% of out-of-scope at 63% of answerable -> 67% at 5.6%) but drops the demo's English over Arabic-only
    # abstention 83% -> 72% at the floors as set (bench/RESULTS.md "Session 16, xcal6")
    "density_agreement": False,
    # copilot.dense_hubs: pages e5 puts near everyone's title are hubs too, unless BM25 ranks them first
    "dense_hubs": True,
    "loan_reading": True,  # copilot.loanword_text: the dense models read a loanword's MSA word in its place
    "latin_reading": True,  # copilot.loanword_text: ... and a glossary word typed in Latin ("card") too
    "own_chunk_means": True,  # copilot.chunk_means: the query language's candidates too (OWN_CHUNK_MEAN_WEIGHTS)
    "series_steps": True,  # copilot.series_pages: a numbered series' step first yields to the article it links to
    "chunk_mean_lead": True,  # the fallback's candidate whose chunks' mean clearly leads (CHUNK_MEAN_LEAD)
    # copilot.framed_lead: no chunk-mean lead for a page whose title names the product framing the question
    "framed_lead": True,
    "summaries": True,  # the fallback's candidates also ranked by their summary's USE cosine (SUMMARY_RANKING)
    "slug_words": True,  # copilot.slug_words: the fallback credits a candidate whose id the query's words say
    # copilot.slug_words with kb.word_commonness: one shared id word that is ordinary in the language ("office",
    # "phone") credits nothing; a rare one, two agreeing or the whole id do. Off: dev demo English over Arabic-only
    # 0.803 -> 0.816 (eight questions up a place or two), m365 0.806 -> 0.809, customer slice English 0.639 -> 0.641,
    # but one more demo answerable question abstains (3.1% -> 3.7%: its first article, wrong either way, changes) and
    # one m365 and two slice questions lose a place (bench/RESULTS.md "Session 19, commonwords9")
    "slug_rare_words": False,
    # copilot.spelling_families: a misspelt Arabic word also searches the index's spellings (lexical): off, it moved
    # nothing on either dev domain or the customer slice (bench/RESULTS.md "Session 13, m365ar6")
    "spellings": False,
    "spelled_words": True,  # copilot.spelling_families: the dense models read a misspelt word's first spelling
    # Vocabulary.corrected_text: the dense models also read the lexical side's correction of a short Arabic word (4
    # letters folded, below the spelling families' 5: "المبلع" as المبلغ) that a general Arabic lexicon (wordfreq,
    # copilot.lexicon_spellings) does not know. Off: no dev or held-out question of demo or m365 moved (none has such
    # a typo); on the demo "المبلع", "وين المبلع", "المبلع ما وصل" stop abstaining. Without the lexicon's gate it cost
    # demo ar 0.913 -> 0.908 and m365 ar 0.871 -> 0.860 (bench/RESULTS.md "Session 41, drafts41")
    "short_corrections": False,
    # copilot.model_spellings: where the index does not hold an Arabic word, the dense models read its confusable
    # respelling that segments far better in their own vocabularies ("تتبغ": تتبع). Off: dev demo Arabic over
    # English-only 0.797 -> 0.801 rests on one question ("تتبغ الشحنه" 3 -> 1), no held-out question moved, and on
    # the dev questions it also rewrites six correct words into others (جوالي -> حوالي, يغطي -> يعطي), a risk on a
    # help center whose customers type more of them (bench/RESULTS.md "Session 17, mspell7")
    "model_spellings": False,
    # copilot.lexicon_spellings: an Arabic word neither the index nor a general Arabic lexicon (wordfreq's list) knows
    # is read as the lexicon's common word one edit away ("تتبغ": تتبع): the dense models read it in the word's
    # place, the lexical side searches it as a typo correction. On: demo Arabic over English-only 0.798 -> 0.802
    # ("تتبغ الشحنه" 3 -> 1), nothing else moved on either dev domain or the customer slice; on every Arabic dev
    # question it reads 4 typos right, 1 as another word (التقصيط: التقصير) and no word spelt as meant
    # (bench/RESULTS.md "Session 19, arspell9"). Off by the lead: one dev question, and the held-out rounds read once
    # after show only losses (round 4 بدخلو -> بدخول, round 5 انعمل -> العمل: dialect words no list holds: typos)
    "lexicon_spellings": False,
    "clitic_names": True,  # copilot.transliteration.name_readings: "وتيمز", "عالتيمز" also search teams
    # Vocabulary.read_corrections: a typo correction of an Arabic word the lexical side reads already, by its stem or
    # as a verb of an index word ("عندنا" is عند's: عندما), does not rank (it stays abstention evidence). Off: it
    # moves no dev question on either domain and lifts the m365 customer slice (Arabic 0.663 -> 0.669), but costs
    # held-out rounds 1-3 a weight of 0.23 (bench/RESULTS.md "Session 14, dialect4")
    "read_words": False,
    # copilot.query_coverage: abstain also on a near-topic question, one whose first article holds little of
    # what it asks (NEAR_TOPIC_FLOORS); same-language, typed questions only. Off: on the dev sets it flags
    # near-topic questions demo AR 40% -> 60%, m365 AR 8% -> 40% within 4% of answerable, but on held-out
    # round 1 it flags 7.5% of demo English and 6.0% of m365 Arabic answerable questions (bench/RESULTS.md
    # "Session 13, abstain3"); with it off, the signals (`coverage`, `coverage_share`, `use_share`) are measured
    # only with the floors off (bench/eval_retrieval.py's signal collection, bench/tune_fusion.py).
    "query_coverage": False,
    # copilot.section_coverage: abstain also when the first result's best section holds little of the question's
    # rare words, on the index's own scale (SECTION_FLOORS); same-language, typed questions only. Off (and the
    # KB_NEAR_TOPIC_ABSTENTION setting off): dev near-topic demo AR 40% -> 52%, m365 AR 8% -> 28% at no dev
    # answerable cost, but held-out round 3 gains no near-topic question and flags one m365 answerable one
    # (bench/RESULTS.md "Session 14, abstain4"). Either one on turns the rule on.
    "section_coverage": False,
    # copilot.sibling_titles: among near-tied first articles, a title holding every query term the first's title
    # holds (at least two) and more takes the first place. Off: dev demo EN 0.919 -> 0.922, m365 AR 0.861 -> 0.866,
    # customer slice AR 0.663 -> 0.670, nothing else moved; but held-out rounds 1-3 lose three questions 1 -> 2 and
    # gain none, a weight of -1.50 (bench/RESULTS.md "Session 14, siblings4")
    "sibling_titles": False,
    # copilot.dense_feedback: the rarest words of the dense models' first two articles that the query lacks, searched
    # lexically at EXPANSION_WEIGHTS["feedback"] (ranking only), for a query typing a word no article holds. Off: dev
    # demo EN 0.919 -> 0.926, but demo AR 0.907 -> 0.894 and m365 AR 0.861 -> 0.849 (lexical follows the dense
    # models' wrong first articles: "كيف اعرف اي اشتراك عندي" 2 -> 8); ungated AR the same (bench/RESULTS.md
    # "Session 14, bridge4")
    "dense_feedback": False,
    # copilot.dense_feedback.agreed_article: the same feedback, only where e5 and USE rank the same article first
    # and BM25 not among its first LEXICAL_MISS_TOP, from that article's words alone (in place of dense_feedback's
    # gate). Off: it fires for 2-5% of dev questions and the agreed article is the right one for 4 of 7 on m365 dev,
    # 1 of 5 on the customer slice; dev m365 AR 0.861 -> 0.859 (BM25 missing it from its first 3; 0.863 from its
    # first 5), slice AR 0.663 -> 0.655 and one more demo English answerable question abstains at every setting
    # (bench/RESULTS.md "Session 15, agree5")
    "agreed_feedback": False,
    # copilot.typed_reading: when only another language answers, the title floor reads the better of the question's
    # MSA reading (what the dense models embed) and the question as typed. On: on the demo's Arabic questions over
    # its English-only articles it clears 2 of the 6 answerable questions the floors flag (3.5% -> 2.4% of 170) and
    # flags as many out-of-scope ones (59% of 17); en>ar and m365 cannot move, held-out round 4 moves nothing: it
    # helps one case and costs none (bench/RESULTS.md "Session 15, xfloor5"). One more USE embedding, only for a
    # dialect question whose answers are all in another language.
    "typed_reading": True,
    # copilot.heading_associations: a rare query word a section heading holds also searches the body words the
    # index's sections pair with it (PMI-filtered Dice), at EXPANSION_WEIGHTS["associations"], ranking only. Off: at
    # every gate m365 AR 0.861 -> 0.859 or 0.860 (ungated also demo AR 0.907 -> 0.899), the customer slice
    # unchanged, held-out round 4 m365 AR 0.550 -> 0.529; the kind's words are mostly ones the index never holds
    # (bench/RESULTS.md "Session 15, pairs5")
    "heading_words": False,
    # copilot.nearest_words: a query word no article holds also searches the index word e5 and USE both put within
    # their first 3 (above FLOORS), at EXPANSION_WEIGHTS["nearest"], ranking only. Off: dev m365 AR 0.866 -> 0.870
    # ("حجز قاعة الاجتماعات" 2 -> 1: قاعة -> الغرفة), demo AR unchanged, but demo EN "where is my stuff" 5 -> 6
    # (stuff -> things); the customer slice and held-out rounds 1-4 about unchanged; the dialect verbs get no agreed
    # neighbour (bench/RESULTS.md "Session 16, nearword6")
    "nearest_words": False,
    # copilot.title_rarity: the field credit counts each query term by how few of its language's titles hold it
    # (log(1 + N/n)). Off: dev demo AR 0.907 -> 0.909, EN 0.922 -> 0.925, customer slice AR 0.654 -> 0.659, but m365
    # AR 0.866 -> 0.861 (a rare title word such as gmail outweighs the rest: 1 -> 4) and no series miss moves; the
    # field credit decides 3 of 74 dev misses (bench/miss_signals.py; bench/RESULTS.md "Session 17, mfault7")
    "title_rarity": False,
    # copilot.common_terms: BM25's query terms weighed by how many of the index's chunks hold them (a term more than
    # COMMON_SHARE of them hold counts by its IDF over the IDF there). Off: the customer slice AR 0.657 -> 0.685, demo
    # EN 0.922 -> 0.926, but demo AR 0.908 -> 0.902 and m365 AR 0.867 -> 0.860 (gmail 1 -> out of 10: the page is
    # found by words a fifth of the chunks hold); flatter or sharper IDF and a cap on rare words no better
    # (bench/RESULTS.md "Session 18, bm25fault8")
    "common_terms": False,
    # copilot.article_votes: each fused source's first chunks read as a ranking of articles, one place per article,
    # for BM25, the signal at fault in most dev misses on both domains. Off: dev demo AR 0.907 -> 0.898, m365 AR
    # 0.866 -> 0.850 (BM25 alone read so: 0.904 / 0.855); held-out rounds 1-2 gain, round 3 m365 AR loses 0.029
    # (bench/RESULTS.md "Session 17, mfault7"). One more single-source query per source while on.
    "article_votes": False,
    # copilot.fitted_fusion: the English fusion weights fitted on two help centers (demo and GNOME Help), not the demo
    # alone (USE 1.0 -> 0.45, BM25 0.6 -> 0.3 beside e5's 1.0). On: dev demo EN 0.922 -> 0.929, GNOME EN 0.763 -> 0.799
    # (e5 alone 0.780), every other case, the abstention and the customer slice unchanged (bench/RESULTS.md
    # "Session 20, fusion20")
    "fitted_fusion": True,
    # Abstain also when only another language answers and the fallback's first article's fused score is under
    # CROSS_FUSED_FLOOR (`cross_fused_top`, in first places of a weight-1 ranking): the rankings do not agree on it.
    # Off: on the dev sets it takes demo Arabic over English-only 59% -> 65% of out-of-scope at 2.4% of answerable
    # ("كيف ابيع منتجاتي عندكم") and m365's English near-topic 36% -> 40%, every other suite line and the customer
    # slice (3 of 40) the same; but held-out rounds 1-4 gain no out-of-scope question and round 1 flags one more m365
    # answerable one (6.7% -> 10%, 3.272 under the floor; bench/RESULTS.md "Session 18, xabst8").
    "fused_floor": False,
    # copilot.title_word_weights: the field credit counts a matched title term by how specific it is to the index's
    # chunks (common words less). Off: dev gnome EN 0.763 -> 0.777, ar>en 0.696 -> 0.711 (a neighbour's incidental
    # "computer", "desktop" no longer decides), but demo AR 0.908 -> 0.903, ar>en 0.798 -> 0.785, en>ar 0.803 -> 0.793,
    # m365 AR 0.867 -> 0.857, customer slice AR 0.683 -> 0.678: a focused store's core words ("الدفع عند الاستلام",
    # order, card, gmail) are common in its chunks too (bench/RESULTS.md "Session 20, titles20")
    "title_word_weights": False,
    # copilot.content_words: the fallback's USE ranking of the other language's chunks asks an Arabic query's content
    # words (the words the lexical index keeps). On (the lead, session 20): gnome ar>en 0.696 -> 0.712 (3 dialect
    # questions 2 -> 1) against demo ar>en 0.798 -> 0.797 (3 down, 2 up), no word list, and held-out demo ar>en rounds
    # 2-5 all gain (+0.010 to +0.025) while GNOME round 1 loses one question (-0.012); as one more ranking instead,
    # gnome +0.022 and demo -0.013 (bench/RESULTS.md "Session 20, gnomexl20")
    "content_words": True,
    # The same-language floors carried to each index by its own label-free probes (copilot.self_calibration: its
    # titles, headings and partial titles asked as queries; each shipped floor moved to the position it holds among
    # the demo's probes). About 300 searches per language in the background at each index version while on (15-33 s
    # per index, loaded machine). Off: dev gnome English 20% -> 47% of out-of-scope at 4.8% of answerable, m365
    # near-topic 8% -> 56%, the demo unchanged; but m365's answerable 0% -> 2.8% and its Arabic customer slice 0 -> 5
    # of 69 (dialect questions score under the index's MSA headings); held-out m365 answerable +3 to +7 of 50 per
    # round (bench/RESULTS.md "Session 20, selfabst20").
    "self_floors": False,
    # copilot.self_calibration.lowered_floors: self_floors' carried floors used only where they lower a shipped floor
    # (a help center whose own titles, headings and partial titles score under the demo's), never to raise one: the
    # raise is what cost m365's answerable questions. Off: dev GNOME English 20% / 4.8% -> 20% / 1.9% (its BM25 share
    # floor 0.643 -> 0.599; near-topic 8 -> 6 of 40), held-out GNOME rounds 1 and 2 answerable 2.5% -> 0% and 4.2% ->
    # 0% (no out-of-scope question lost in rounds 1, 2, 6, 7); the demo and m365 unchanged (their carried floors are
    # not lower). It passes the keep rule but moves no out-of-scope question, and on it would build the probes (about
    # 300 searches per language) in the background of every engine, tests' included (bench/RESULTS.md "Session 39,
    # abst39").
    "lowered_floors": False,
    # copilot.query_adapter: the same-language e5 ranking searches with the query mapped towards this index's own
    # passages (a ridge map fitted per language on its titles and headings, chosen on held-out pairs, no labels).
    # Off: e5 alone gains on every domain (demo AR 0.765 -> 0.780, EN 0.853 -> 0.862, m365 AR 0.687 -> 0.695, gnome
    # EN 0.780 -> 0.789) but the hybrid does not: demo AR 0.908 =, EN 0.929 -> 0.928, m365 AR 0.867 -> 0.857, gnome
    # EN 0.799 -> 0.791, and no map of a dev grid gains both dev domains (beside e5's own vector at half its weight
    # instead: m365 0.824). Abstention unchanged (bench/RESULTS.md "Session 24, adapter24").
    "query_adapter": False,
    # copilot.places: a city the query names (CLDR's exemplar cities, through Babel) read as its country, where the
    # index has a page naming that country: the country's name goes to the lexical query (ranking only) and, where
    # the query's language has articles, the dense text; in the other languages to the bridge terms. Dev suite
    # (bench/lever_ablation.py --levers places): every figure unchanged (the demo and GNOME have no country page, so
    # nothing is read there; m365 dev names countries, not cities). Held-out m365 MRR@10 off -> on, Arabic / English
    # over Arabic-only: round 2 0.649 -> 0.692 / 0.492 -> 0.536, round 3 0.817 -> 0.817 / 0.762 -> 0.812, round 4
    # 0.559 -> 0.672 / 0.469 -> 0.511, round 5 (scored once) 0.542 -> 0.612 / 0.468 -> 0.501; no abstention moved.
    # bench/RESULTS.md "Session 25, mmiss25".
    "places": True,
    # Retriever._bridge_typed: the missing-translation fallback's field credit counts a title's share of the bridge
    # terms over the typed question's own words too, unless the help center's synonym groups gave the bridge (a
    # one-loanword bridge gave every title holding "computer" or "laptop" the whole credit: 6 of GNOME's 42 Arabic
    # misses on dev and rounds 1-2). Off: GNOME ar>en dev 0.713 -> 0.731 and round 2 0.746 -> 0.764, but round 1
    # 0.713 -> 0.694 (a long question whose one loanword, "البروفايل", is its topic) and the demo's Arabic over
    # English-only 0.797 -> 0.794 (a typed "card"); m365 and every same-language case unchanged, no abstention moved.
    # bench/RESULTS.md "Session 25, gxl25".
    "bridge_share": False,
    # Vocabulary.english_terms: an Arabic-script word no Arabic article uses, and no Arabic word by wordfreq (Zipf
    # under 3), read by the transliteration sound rule as a title or heading word of the English articles ("جنوم":
    # gnome), searched and bridged where transliterations are. Issue #18's largest class over English-only help.
    # On: no dev case moves (9 dev questions read, 6 right, none moved); GNOME held-out round 2 Arabic 0.746 -> 0.771
    # ("واكوم": wacom, 2 -> 1), demo round 4 ar>en 0.831 -> 0.830 ("عالبروفايل" read as approval, 5 -> 6), GNOME
    # round 1 and demo rounds 2-3 unchanged, no abstention moved (bench/RESULTS.md "Session 25, arscript25").
    # Off by the lead: the gain is one held-out question (and one lost a place), and 3 of the 9 dev readings are
    # wrong, two in out-of-scope questions ("ستيم": system, "البايوس": pause), where a reading is evidence that an
    # answer exists: on a help center whose customers type more such words it would cost abstention, as
    # lexicon_spellings' one-question gain was judged (session 19).
    "heading_sounds": False,
    # copilot.title_rarity over the candidates: the field credit counts each query term by how few of the first
    # CANDIDATE_TITLES candidates' titles hold it (log(1 + N / n) over those N), so a word most of them share (the
    # product every title of its pages names: "refund for my Sync") tells them apart by nothing and the question's
    # other words (refund) decide. Issue #18's framing class. Off: dev demo ar over English-only 0.797 -> 0.801, but
    # demo en 0.929 -> 0.926 and m365 ar 0.867 -> 0.859, and held-out rounds 1-6 lose a weight of 1.60 (demo -1.28,
    # GNOME -0.52, m365 +0.20); no abstention moved. Among sibling pages the shared word is the topic, not a product
    # ("كلمات المرور" in every password page's title: an incidental word decides), and a name rare among the
    # candidates (gmail) outweighs the intent (bench/RESULTS.md "Session 26, framing26").
    "candidate_rarity": False,
    # copilot.title_rarity.NameRarity: candidate_rarity for the question's product names only (the words
    # copilot.product_names leaves out of its intent): a name most of the first CANDIDATE_TITLES candidates' titles
    # print counts down to about 0.3 of a word in the field credit, every other word counts 1, so siblings sharing
    # their topic word are weighed as before. Issue #18's framing class. Off: inert, no question's rank and no
    # abstention moves on any dev domain or held-out round 1-6, nor on dev with the names counted 0; in 14 of the
    # 18 dev misses framed by a name with the right page in the first 10 the score gap is larger than the names'
    # whole field credit (bench/RESULTS.md "Session 28, lever28", bench/name_credit_gaps.py).
    "name_rarity": False,
    # copilot.keyboard_layout: a typed query the index reads as typed with the other keyboard layout ("hgfhs,v]":
    # الباسورد) is searched as that layout's (Retriever.read_layout). No dev question is read so: the dev suite's
    # figures are the same either way (bench/RESULTS.md "Session 26, layout26", bench/wrong_layout.py)
    "keyboard_layout": True,
    # ... and a word of the other layout's language by wordfreq counts as known beside the index's words (for the
    # dialect and inflected Arabic words no article prints, and help centers with no article in that language).
    # On by the lead: wordfreq is the language's, the same for every help center, not one store's words; still no
    # false reading in the 2,246 dev and held-out rows typed right, the dev suite unchanged, and wrong-layout rows
    # held-out demo ar 0.522 -> 0.829, m365 en 0.011 -> 0.575, GNOME ar 0.094 -> 0.543 (bench/wrong_layout.py,
    # bench/RESULTS.md "Session 26, layout26")
    "keyboard_layout_language_words": True,
    # copilot.query_translation: the missing-translation fallback also searches the query's translation into the
    # articles' language (a QueryTranslator's: a language model's, set on Retriever.translator) there the
    # same-language way, fused with the cross-lingual sources. Inert without a translator. Measured in
    # bench/RESULTS.md "Session 30, llmq30" (bench/query_translations.py, bench/lever_ablation.py --translations).
    "query_translation": False,
    # ... only a translation the model is confident in (QueryTranslator.confidence, its tokens' mean log-probability,
    # at least Retriever.min_translation_confidence): this flipped alone searches the confident translations, with
    # "query_translation" it gates them. Measured in bench/RESULTS.md "Session 31, xconf31"
    # (bench/translation_confidence.py).
    "query_translation_confident": False,
    # copilot.relevance_judge: the local model's judgment of the first articles (a RelevanceJudge's, set on
    # Retriever.judge; bench/relevance_judgments.py caches the GGUF's): abstain when it says "no" to the first
    # article more than "yes" (JUDGE_FLOOR). Inert without a judge. Off: on the 91 judged dev questions it flags
    # demo ar>en out-of-scope 3/6 -> 5/6 but GNOME ar>en answerable 0/14 -> 3/14 (no out-of-scope one) and demo
    # en>ar answerable 1/24 -> 2/24 (bench/RESULTS.md "Session 32, llmjudge32", bench/lever_ablation.py --judgments)
    "judge_abstain": False,
    # ... and, among the first JUDGE_TOP, an article it says "yes" to by JUDGE_MARGIN more than the first goes first.
    # Off and unmeasured: the run judged no second article (~14 s a judgment under load; bench/RESULTS.md ibid.)
    "judge_rerank": False,
    # copilot.query_kind with copilot.fitted_fusion.KIND_WEIGHTS: the same-language fusion weights per kind of typed
    # query (keyword, question, story, mixed) instead of one set per language: Arabic questions of 3-5 content words
    # USE 0.3 / BM25 1.3, English keyword queries USE 0.2 / BM25 0.1, beside e5's 1.0. On: dev demo AR 0.908 -> 0.913,
    # EN 0.929 -> 0.930, m365 AR 0.867 -> 0.871, GNOME EN 0.799 -> 0.804; the cross-lingual cases and the abstention
    # unchanged (bench/RESULTS.md "Session 38, retr38", bench/kind_fusion.py)
    "kind_fusion": True,
    # Recall for the right article beyond the first 10 (issue #18's misses): each source of the fused rankings (the
    # query language's and the missing-translation fallback's) prefetches DEEP_PREFETCH chunks before RRF instead of
    # the store's default 50, so a chunk deep in one model's list but high in another's can reach the pool. Off: 33
    # dev questions shuffle by a place or two (17 up, 16 down), GNOME ar>en 0.713 -> 0.706, demo AR 0.913 -> 0.912;
    # the beyond-10 answers are in the pool already and none enters the first 10 (bench/RESULTS.md "Session 39, rank39")
    "deep_prefetch": False,
    # With "own_chunk_means": e5's vote among the first OWN_CHUNK_MEAN_TOP candidates is their rank by their best
    # chunk's cosine instead of their chunks' mean. Off: demo AR 0.913 -> 0.902, EN 0.930 -> 0.923, m365 AR 0.871 ->
    # 0.858 (the broad pages with one near chunk come back), GNOME EN +0.005 (bench/RESULTS.md ibid.)
    "own_chunk_max": False,
    # copilot.unanimous: a candidate among the first UNANIMOUS_TOP that every source of the fused ranking (e5, USE,
    # BM25, each read alone as articles) places above the first result goes first (typed queries only): the
    # post-fusion credits decide only where the models split. Off: 3 dev questions up, 8 down (demo AR 0.913 ->
    # 0.904, m365 AR 0.871 -> 0.864): where the models agree against the credits, the credits are right more often
    # (bench/RESULTS.md ibid.)
    "unanimous_first": False,
    # copilot.unknown_names: a same-language typed question naming something no article mentions (typed as a name:
    # "Steam", "Gmail", "BIOS" to GNOME Help; not a typo, a form of an index word, a place, a day or an everyday word)
    # abstains when at most UNKNOWN_NAME_HELD of the floors hold it. Off: dev GNOME English out of scope 20% -> 60% at
    # 4.8% of answerable (unchanged), near-topic 20% -> 33%, every other dev case identical; held-out GNOME round 1
    # 20% -> 60%, round 2 60% -> 70%, round 7 90% -> 100%, demo English rounds 3 and 5 and m365 round 6 +10 points;
    # but two held-out demo English answerable questions flagged (round 5 "... reach Abha?", a city CLDR does not
    # list; round 7 "GDPR style copy of my purchases", an acronym the shop never prints), 1 of 40 each, and two of
    # xquad-dev's 595 English questions ("UMC", "UserDatagram") (bench/RESULTS.md "Session 40, oos40").
    "unknown_names": False,
    # copilot.title_translations: the missing-translation fallback's candidates also speak in the question's
    # language through their titles machine-translated ahead of time (Retriever.title_translations, a cache
    # bench/title_translations.py writes with the local GGUF): the field credit counts the typed question's terms
    # the translated title holds (the larger of that and the bridge terms' credit). Inert without a cache. Measured
    # in bench/RESULTS.md "Session 41, xtitle41".
    "translated_titles": False,
    # ... and the translated titles' USE ranking joins as one more RRF source of TITLE_WEIGHT (ibid.)
    "translated_title_ranks": False,
}
# The per-source prefetch depth before fusion with LEVERS["deep_prefetch"] (indexer.stores.base.PREFETCH, 50,
# without it).
DEEP_PREFETCH = 100
# The first candidates whose titles weigh the query terms with LEVERS["candidate_rarity"]: the places a framing
# question's product pages crowd (a first page of results).
CANDIDATE_TITLES = 10
# The query's own language's titles ranked by e5 alone (copilot.title_vectors, titles in e5's query
# form) credit the same-language candidates: OWN_TITLE_CREDIT of the best fused score for the first
# title, falling off as RRF with k OWN_TITLE_K (a gentle slope: title cosines of near-duplicate
# articles are close). bench/lever_ablation.py, off -> on: m365 AR 0.817 -> 0.832, demo AR 0.886 ->
# 0.884, demo EN 0.928 =; RRF k 10 or credit by cosine cost English (bench/RESULTS.md "Session 5, m365ar").
# latin_terms (copilot.latin_terms, "admin" in an Arabic query searches المسؤول): demo AR 0.881 -> 0.884, m365 =.
# verbal_nouns (copilot.verbal_nouns, "اضيف" searches the index's "إضافة" at weight 1.0, ranking only):
# m365 AR 0.818 -> 0.825, demo AR 0.879 -> 0.889 (weight 0.7: 0.820 / 0.885; bench/RESULTS.md "Session 7, m365ar2").
# loan_reading (copilot.loanword_text, the dense models read "دومين" as the index's "المجال"): m365 AR
# 0.839 -> 0.853, demo AR 0.889 = (bench/RESULTS.md "Session 8, m365ar3").
# series_steps (copilot.series_pages, a numbered series' first step yields to the article it links to):
# m365 AR 0.858 -> 0.866, the demo has no numbered series (bench/RESULTS.md "Session 9, m365ar4").
OWN_TITLE_CREDIT = 0.4
OWN_TITLE_K = 60
HUB_PENALTY = 0.3
# The titles' own USE ranking joins the other languages' fused ranking with this RRF weight
# (copilot.title_vectors); see bench/RESULTS.md for its effect on both dev domains.
TITLE_WEIGHT = 0.5
# Two more rankings join it (copilot.title_vectors), as RRF weights: e5 on the title alone (titles
# embedded in e5's query form, a title being a short statement like a query) and USE on the section
# headings (an article as its best heading). bench/eval_retrieval.py --suite, cross-lingual MRR@10,
# demo Arabic over English-only / m365 English over Arabic-only: neither 0.792 / 0.771; e5 titles
# 0.2 0.799 / 0.770; headings 0.25 0.794 / 0.776; both 0.807 / 0.780 (e5 0.1 or 0.3 beside headings
# 0.25: 0.799 / 0.777, 0.807 / 0.773; e5 0.5 alone 0.811 / 0.770 and headings 0.5 0.788 / 0.770 cost
# m365). Fitted on both domains together, on a 12-point grid. e5's weight applies only with LEVERS["title_e5"],
# off since session 11: with the levers added since, it cost demo en>ar and m365 en>ar more than it gave ar>en.
TITLE_RANKINGS = {"title_e5": 0.2, "headings": 0.25}
# The other language's candidates also ranked by USE on their summary (front matter `summary`: the writer's
# one-line statement of what the page is about; copilot.title_vectors, field "summary"), one more RRF
# source of this weight, per direction. English over Arabic-only MRR@10, demo / m365 (with framed_lead):
# none 0.760 / 0.799; 0.05 0.761 / 0.797; 0.1 0.762 / 0.804; 0.15 0.762 / 0.804; 0.2 0.764 / 0.804; 0.25
# 0.764 / 0.795 (e5's summaries beside it, or alone, gain less or cost one domain). In both directions it
# moved Arabic over English-only 0.803 -> 0.802-0.811: not measured on a second domain, so none there
# (bench/RESULTS.md "Session 9, enar5").
SUMMARY_RANKING = {("en", "ar"): 0.15}
# The other language's best USE title credits its article by how far it leads the second title
# (copilot.title_lead): this share of the best fused score, full at a lead of TITLE_LEAD_FULL
# standard deviations of the query's title cosines. Per direction (query language, article
# language), like CROSS_DIRECTION_FLOORS: English over Arabic-only, MRR@10 demo 0.708 -> 0.734,
# m365 0.742 -> 0.766 (its framing slice 0.567 -> 0.665: the larger lead of the question and its
# intent counts; the whole question's alone gave 0.747), bench/lever_ablation.py --levers title_lead,
# abstention and every other case unchanged. With the whole question's lead, every point of weight
# 0.4-0.8 x full 1.0-2.0 gained on both (demo +0.011..+0.026, m365 +0.002..+0.011). Arabic over
# English-only gets none: the same credit moved it -0.014..+0.010 (bench/RESULTS.md "Session 7, enar2").
TITLE_LEAD = {("en", "ar"): 0.6}
TITLE_LEAD_FULL = 1.5
# Other-language candidates ranked by the mean cosine of each article's chunks (copilot.chunk_means:
# a broad page has one chunk near every question, the answer has most of its chunks near this one),
# per model, as RRF weights beside the fused chunks' 1.0. English over Arabic-only MRR@10, demo / m365:
# none 0.734 / 0.770; USE 1.5, e5 0.5 0.743 / 0.789; every point of USE 1.0-2.0 x e5 0.25-1.0 gains on
# both (+0.005..+0.013 / +0.016..+0.022); one model alone gains less or costs the demo (USE 0.5: 0.737 / 0.774, e5 0.5:
# 0.720 / 0.787). Arabic over English-only 0.802 -> 0.803. bench/RESULTS.md "Session 8, enar3".
CHUNK_MEAN_WEIGHTS = {"use": 1.5, "e5": 0.5}
# The same chunk means reorder the query language's own first OWN_CHUNK_MEAN_TOP candidates (a broad
# sibling or hub page above the specific article), after the title credit and before the hub demotion;
# typed queries only (a ticket is a story). Hybrid MRR@10 demo EN / demo AR / m365 AR, none 0.919 / 0.896 /
# 0.853; top 5 x USE 1.0, e5 1.0: 0.922 / 0.907 / 0.858; top 5 x (0.75, 0.25), (1.0, 0.5), (1.5, 0.5) gain
# on the demo and move m365 -0.001..+0.005; top 8 or 10 gain less, top 3 and top 20 cost one case
# (bench/RESULTS.md "Session 8, samemeans").
OWN_CHUNK_MEAN_WEIGHTS = {"use": 1.0, "e5": 1.0}
OWN_CHUNK_MEAN_TOP = 5
# The candidate whose chunks' mean (USE, copilot.chunk_means) clearly leads the other candidates' is
# credited by that lead as the best title is (copilot.title_lead: share of the best fused score, full at a
# lead of CHUNK_MEAN_LEAD_FULL standard deviations of the candidates' means). English over Arabic-only MRR@10,
# demo / m365: none 0.743 / 0.789; 0.6 x 2.0 0.757 / 0.799; every point of credit / full 0.24-0.4 (0.4-0.9 x
# 1.0-2.5) gains on both (demo +0.005..+0.021, m365 +0.004..+0.017), a slope of 0.2 or 0.47 and more costs
# m365 up to 0.010; e5's mean or both models' z-scores summed gain less. Arabic over English-only gets none
# (bench/RESULTS.md "Session 9, enar4").
CHUNK_MEAN_LEAD = {("en", "ar"): 0.6}
CHUNK_MEAN_LEAD_FULL = 2.0
LEXICAL = "lexical"  # the sparse source's name in weights, signals and `only`
LEXICAL_TOP = "lexical_top"  # the raw BM25 top score: its scale is the corpus's, see lexical_share
SNIPPET_CHARS = 220
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_WORD = re.compile(r"\w{3,}")
Rarity = TitleRarity | NameRarity | TitleWordWeights  # how the field credit may weigh a query's terms


class QueryError(ValueError):
    """The query cannot be searched; the message says why, for the user."""


class SearchUnavailable(RuntimeError):
    """The index cannot answer (a Qdrant outage): no degraded mode can stand in for it.

    The web app answers it with a 503 (JSON on the API, a page on the site), never a bare 500;
    the store's own exception is chained as the cause and logged where it happened.
    """

    reason: Literal["index_unavailable"] = "index_unavailable"


@dataclass(frozen=True)
class SearchHit:
    id: str
    lang: str
    title: str
    section: str
    anchor: str
    snippet: str
    score: float
    locale_fallback: bool
    category: str
    internal: bool
    text: str
    # The part of `score` the own chunk means added (LEVERS["own_chunk_means"]): a rank credit the first
    # OWN_CHUNK_MEAN_TOP articles get nearly alike, so it compresses their score ratios; comparisons of
    # how clearly one article leads (the answer card's margin) read `score - means_credit`.
    means_credit: float = 0.0

    @property
    def key(self) -> str:
        """The article's "lang/id": what search returns instead of a URL (links are the web's job)."""
        return f"{self.lang}/{self.id}"

    def as_json(self, link: Callable[[SearchHit], str] | None = None) -> dict[str, object]:
        """The API's view of a hit; `link` (the web layer's) adds its URL."""
        body: dict[str, object] = {
            "id": self.id,
            "lang": self.lang,
            "title": self.title,
            "section": self.section,
            "anchor": self.anchor,
            "snippet": self.snippet,
            "score": round(self.score, 4),
            "locale_fallback": self.locale_fallback,
            "internal": self.internal,  # only the agent audience ever gets true: never show it to customers
        }
        if link is not None:
            body["url"] = link(self)
        return body


@dataclass(frozen=True)
class SearchResult:
    query: str
    lang: str
    mode: Mode
    took_ms: float
    results: tuple[SearchHit, ...]
    truncated: bool = False
    degraded: bool = False
    degraded_reason: DegradedReason | None = None
    fallback_reason: FallbackReason | None = None
    fallback_lang: str | None = None  # the language the fallback reason is about (the query's)
    abstained: bool = False  # no result is good enough to show as an answer
    signals: dict[str, float] = field(default_factory=dict)  # each source's top score and margin, title share
    timings_ms: dict[str, float] = field(default_factory=dict)
    # The query as typed, when it was read as typed with the wrong keyboard layout (Retriever.read_layout);
    # `query` is then what was searched. None when the query was searched as typed.
    typed_query: str | None = None

    def as_json(self, link: Callable[[SearchHit], str] | None = None) -> dict[str, object]:
        return {
            "query": self.query,
            "typed_query": self.typed_query,
            "lang": self.lang,
            "mode": self.mode,
            "took_ms": round(self.took_ms, 2),
            "truncated": self.truncated,
            "degraded": self.degraded,
            "degraded_reason": self.degraded_reason,
            "abstained": self.abstained,
            "fallback_reason": self.fallback_reason,
            "fallback_lang": self.fallback_lang,
            "results": [hit.as_json(link) for hit in self.results],
        }


def printable(text: str) -> str:
    """The control characters `clean_query` refuses, as spaces: for text that is not typed as a
    query (a ticket's emails) but must become one. Format characters (ZWNJ, RLM) are kept."""
    return _CONTROL.sub(" ", text)


def clean_query(raw: str, max_chars: int) -> tuple[str, bool]:
    """Validate and trim a query; raise `QueryError` with a message fit for the user."""
    if not isinstance(raw, str):
        raise QueryError("the query must be text")
    if _CONTROL.search(raw):
        raise QueryError("the query contains binary or control characters")
    query = " ".join(unicodedata.normalize("NFC", raw).split())
    if not query:
        raise QueryError("the query is empty")
    if len(query) > max_chars:
        return query[:max_chars].rstrip(), True
    return query, False


class _VectorCache:
    """LRU of query vectors keyed by (model, normalized text): repeated and as-you-type queries are free."""

    def __init__(self, size: int = 2048) -> None:
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
            return vector

    def put(self, key: tuple[str, str], vector: np.ndarray) -> None:
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Expansion:
    """What the lexical side adds to the typed words, worked out once per search.

    Each piece is used by several steps (the dense text, the same-language lexical query, the
    bridge terms into the other languages), so computing it here once is both the fast way and
    the only way the steps can never disagree about what the query means.
    """

    msa: str  # the text the dense models embed: Arabic dialect words read as MSA, else the query
    msa_words: tuple[str, ...] = ()  # normalized MSA words the customer did not type themselves
    synonyms: tuple[str, ...] = ()  # members of the synonym groups the query mentions
    corrections: tuple[str, ...] = ()  # index words for typed words no article uses
    transliterations: tuple[str, ...] = ()  # the index's Latin names for Arabic-script words ("تيمز")
    shared: tuple[tuple[str, str], ...] = ()  # (language, typed word its articles use in another script)
    translations: tuple[tuple[str, str], ...] = ()  # (language, the mined term table's word for a typed one)
    loanwords: tuple[str, ...] = ()  # English words typed in Arabic script, as English and as MSA
    variants: tuple[str, ...] = ()  # index words of the same Arabic root as the query's ("اغير": تغيير)
    verbal_nouns: tuple[str, ...] = ()  # the index's verbal nouns of the query's verbs ("اضيف": إضافة)
    spellings: tuple[str, ...] = ()  # the index's spellings of misspelt Arabic words ("الاشتارك": اشتراك)
    misread: tuple[str, ...] = ()  # corrections of words the lexical side reads already ("عندنا": عندما)
    feedback: tuple[str, ...] = ()  # rare words of the dense models' first articles (copilot.dense_feedback)
    associations: tuple[str, ...] = ()  # body words the index's sections pair with a query word (heading_associations)
    nearest: tuple[str, ...] = ()  # the dense models' nearest index words to words no article holds (nearest_words)
    places: tuple[str, ...] = ()  # the countries of the cities the query names, in its language (copilot.places)

    def lexical_parts(self, query: str, ranking: bool = True) -> list[tuple[str, float]]:
        """What the lexical side searches for, each part with its weight against the typed words.

        Word families rank but are no evidence that an answer exists (`ranking=False`, for the
        abstention signals): a root brings words of other meanings, and out-of-scope queries
        found title words through them (m365: 87% of out-of-scope Arabic flagged without, 67% with).
        Verbal nouns neither: a form I verb reads as form II's noun too ("تعلم": تعليم), and as
        evidence they let one more m365 out-of-scope question through (87% -> 80%). Spellings neither
        (copilot.spelling_families): a word no article prints is the customer's, whatever it is near.
        Dense feedback neither (copilot.dense_feedback): the dense models rank something for any question.
        Heading associations neither (copilot.heading_associations): the index's guess, not the customer's word.
        Nor the nearest index words of a word no article holds (copilot.nearest_words): the models' guess.
        Nor a named city's country (copilot.places): "weather in riyadh" names a place, not a need.
        The corrections of words the lexical side reads already (`misread`) are evidence, as they were
        before they left the ranking: without them 2 more demo Arabic answerable questions abstained.
        """
        corrections = [fix for fix in self.corrections if not (ranking and fix in self.misread)]
        return [
            (query, 1.0),
            (" ".join(self.msa_words), EXPANSION_WEIGHTS["dialect"]),
            (" ".join(self.synonyms), EXPANSION_WEIGHTS["synonyms"]),
            (" ".join(corrections), EXPANSION_WEIGHTS["corrections"]),
            (" ".join(self.transliterations), EXPANSION_WEIGHTS["transliterations"]),
            (" ".join(self.loanwords), EXPANSION_WEIGHTS["loanwords"]),
            (" ".join(self.variants) if ranking else "", EXPANSION_WEIGHTS["variants"]),
            (" ".join(self.verbal_nouns) if ranking else "", EXPANSION_WEIGHTS["verbal_nouns"]),
            (" ".join(self.spellings) if ranking else "", EXPANSION_WEIGHTS["spellings"]),
            (" ".join(self.feedback) if ranking else "", EXPANSION_WEIGHTS["feedback"]),
            (" ".join(self.associations) if ranking else "", EXPANSION_WEIGHTS["associations"]),
            (" ".join(self.nearest) if ranking else "", EXPANSION_WEIGHTS["nearest"]),
            (" ".join(self.places) if ranking else "", EXPANSION_WEIGHTS["places"]),
        ]

    def cross_lingual_terms(self, query: str, target: str) -> str:
        """Lexical evidence the query carries into `target`'s articles, already in its script.

        Four kinds: the words typed in the target's script (mixed queries: "refund ما وصل"), the
        members of the help center's bilingual synonym groups ("استرداد" brings "refund"), the
        Latin names of Arabic-script words ("تيمز": teams), and typed words the target's articles
        use in the query's script ("godaddy" in Arabic articles). Dense models carry the rest.
        """
        arabic_target = target == "ar"
        terms = [w for w in _WORD.findall(query) if has_arabic(w) == arabic_target and not w.isdigit()]
        expanded = (*self.synonyms, *self.transliterations, *self.loanwords)
        terms += [m for m in expanded if has_arabic(m) == arabic_target]
        terms += [w for lang, w in (*self.shared, *self.translations) if lang == target]
        return " ".join(terms)


@dataclass(frozen=True)
class QueryPlan:
    """One search, decided before the index is asked anything: the named plan the pipeline runs."""

    query: str  # cleaned and trimmed, as typed
    lang: str
    others: tuple[str, ...]  # the other languages, searched for missing translations
    truncated: bool
    limit: int
    audience: Audience
    categories: tuple[str, ...] | None
    only: str | None  # one source for evaluation (the sparse vector's name for "lexical"), else None
    register: Register
    expansion: Expansion
    # A ticket's text (copilot.suggestions), not a query someone typed: the levers that read a typed
    # query as a title or as an intent beside a product name (own_titles, framing) skip it. A ticket is a
    # story; on the 80 labelled tickets those two levers cost the drafts a ticket per language and
    # the internal-only notice of one (bench/RESULTS.md "Session 5, merged").
    ticket: bool = False

    @property
    def base_filter(self) -> PayloadFilter:
        """Who may see what and where: part of every query of the batch, so none can forget it."""
        return PayloadFilter(visibilities=visibilities(self.audience), categories=self.categories)

    @property
    def same_lang(self) -> PayloadFilter:
        return PayloadFilter(langs=(self.lang,))

    @property
    def evaluating(self) -> bool:
        return self.only is not None


@dataclass(frozen=True)
class _CrossQueries:
    """The other languages' side of a batch: a fused ranking and, when it fuses, USE's own top."""

    fused: StoreQuery
    top: StoreQuery | None
    embedder: str  # the model whose raw score says "better than ours" (USE: aligned across languages)
    bridges: dict[str, SparseVector]  # per target language, the bridge terms' sparse vector
    best_fused: float  # the best fused score an other-language chunk can get


@dataclass(frozen=True)
class _Batch:
    """Every Qdrant query of one search, by name; sent in one round trip."""

    ranking: StoreQuery
    evidence: tuple[tuple[str, StoreQuery], ...]  # (signal name, that source's own best chunks)
    cross: _CrossQueries | None
    votes: tuple[tuple[float, StoreQuery], ...] = ()  # (weight, each fused source alone): copilot.article_votes
    singles: tuple[StoreQuery, ...] = ()  # each source of the query language's alone: copilot.unanimous

    def queries(self) -> list[StoreQuery]:
        out = [self.ranking, *(query for _, query in self.evidence), *(query for _, query in self.votes), *self.singles]
        if self.cross is not None:
            out.append(self.cross.fused)
            if self.cross.top is not None:
                out.append(self.cross.top)
        return out

    def read(self, answers: Sequence[Sequence[Hit]]) -> _Answers:
        """The store's answers, named after the queries that asked for them."""
        queue = iter(answers)
        ranking = list(next(queue))
        evidence = {name: list(next(queue)) for name, _ in self.evidence}
        votes = [(weight, list(next(queue))) for weight, _ in self.votes]
        singles = [list(next(queue)) for _ in self.singles]
        cross_fused: list[Hit] = []
        cross_top: list[Hit] = []
        if self.cross is not None:
            cross_fused = list(next(queue))
            cross_top = list(next(queue)) if self.cross.top is not None else cross_fused
        return _Answers(ranking, evidence, cross_fused, cross_top, votes, singles)


@dataclass(frozen=True)
class _Answers:
    ranking: list[Hit]
    evidence: dict[str, list[Hit]]
    cross_fused: list[Hit]
    cross_top: list[Hit]
    votes: list[tuple[float, list[Hit]]] = field(default_factory=list)
    singles: list[list[Hit]] = field(default_factory=list)


class Retriever:
    """Search as a pipeline: plan -> embed -> batch -> one store round trip -> rank -> fallback -> abstain."""

    def __init__(
        self,
        settings: Settings,
        store: VectorStore,
        embedders: Sequence[Embedder],
        lexical: LexicalEncoder | None = None,
        tuning: SearchTuning | None = None,
        synonyms: Synonyms | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedders = list(embedders)
        self._batchers = [BatchingQueryEmbedder(e, workers=settings.threads) for e in self.embedders]
        self.lexical = lexical or LexicalEncoder()
        tuning = tuning or SearchTuning()  # the help center's content/_search.yml, through the Engine
        self.fusion = tuning.fusion
        self.rrf_k = tuning.rrf_k
        self.abstain_floors = tuning.abstain_floors
        self.abstain_offsets = tuning.abstain_offsets
        self.cross_floors = tuning.cross_floors  # per "ar>en"; a direction not there: CROSS_DIRECTION_FLOORS
        # Which floors decide this engine's searches, once at its start (the web app logs it with each search).
        self.floors_fingerprint = tuning.floors_fingerprint()
        self.synonyms = synonyms
        self.vocabulary = vocabulary
        # The missing-translation fallback's query translations (LEVERS["query_translation"]), when there is one.
        self.translator: QueryTranslator | None = None
        # ... and the least confidence of a translation searched with LEVERS["query_translation_confident"].
        self.min_translation_confidence = MIN_CONFIDENCE
        # The relevance judgments of the first articles (LEVERS["judge_abstain"], LEVERS["judge_rerank"]), when any.
        self.judge: RelevanceJudge | None = None
        # The titles translated ahead of time into the languages their article lacks (LEVERS["translated_titles"]),
        # and their USE vectors per index version and question language (built on first use).
        self.title_translations: TitleTranslations | None = None
        self._translated_matrices: dict[tuple[object, int, str], TitleMatrix] = {}
        self._vectors = _VectorCache()
        self._fields: dict[tuple[str, str], frozenset[int]] = {}
        # Which lang/id each audience can read in the live index: the fallback offers only articles
        # untranslated *for that audience* (an internal Arabic version must not hide the public
        # English article from Arabic customers).
        self._article_keys = FromIndex(store.version, self._keys_by_audience)
        # The index's own BM25 scale per language (copilot.calibration): lexical floors are shares of it.
        # Rebuilt in the background (a second of BM25 queries on m365): a search meanwhile abstains by
        # the previous version's scales; the syncing process waits for them (`wait_after_sync`).
        self._lexical_scales = FromIndex(
            store.version, lambda: lexical_scales(store, self.lexical, settings.languages), background=True
        )
        use = next((e for e in self.embedders if e.name == "use"), None)
        snapshot = IndexSnapshot.of(store)  # one payload read per index version, shared (copilot.index_view)
        self.term_table = LiveTermTable(
            self.lexical, partial(snapshot.payloads, PAYLOAD_FIELDS), store.version, background=True
        )
        titles = partial(snapshot.payloads, ("key", "lang", "title", "text", "ordinal"))
        self._title_payloads = titles
        # Title and heading vectors only refine the ranking of other-language candidates: built in
        # the background, a search never waits for their embedding (e5 on m365's titles: seconds).
        live = partial(TitleVectors, version=store.version, background=True)
        self._titles = live(use, titles) if use else None
        e5 = next((e for e in self.embedders if e.name == "e5"), None)
        headings = partial(snapshot.payloads, ("key", "lang", "section"))
        summaries = partial(snapshot.payloads, ("key", "lang", "summary"))
        self._summaries = live(use, summaries, field="summary") if use else None
        self._more_titles = {  # the other rankings of other-language candidates, by lever name
            name: vectors
            for name, vectors in (
                ("title_e5", live(e5, titles, as_queries=True) if e5 else None),
                ("headings", live(use, headings, field="section") if use else None),
            )
            if vectors is not None
        }
        # copilot.query_adapter: e5's headings asked as queries, and the map fitted from them and the titles
        self._e5_headings = live(e5, headings, field="section", as_queries=True) if e5 else None
        self._query_adapter = (
            FromIndex(
                store.version,
                lambda: fit_adapter(
                    store,
                    self._more_titles["title_e5"].current(),
                    self._e5_headings.current(),  # type: ignore[union-attr]
                    settings.languages,
                ),
                background=True,
            )
            if e5
            else None
        )
        self._cross_scales = (
            FromIndex(
                store.version,
                lambda: cross_scales(store, self._titles.current(), settings.languages),  # type: ignore[union-attr]
                background=True,
            )
            if self._titles is not None
            else None
        )
        self._e5_scales = (  # e5's own same-language scale (copilot.calibration.own_scales): `e5_share`
            FromIndex(
                store.version,
                lambda: own_scales(store, self._more_titles["title_e5"].current(), settings.languages, "e5"),
                background=True,
            )
            if "title_e5" in self._more_titles
            else None
        )
        self._density_scales = (
            FromIndex(
                store.version,
                lambda: density_scales(self._more_titles["title_e5"].current(), settings.languages),
                background=True,
            )
            if "title_e5" in self._more_titles
            else None
        )
        self._hubs = FromIndex(
            store.version, lambda: hub_shares(store, self.lexical, settings.languages), background=True
        )
        self._self_floors = FromIndex(store.version, partial(self._carried_floors, snapshot), background=True)
        self._dense_hubs = (  # copilot.dense_hubs: e5's own hubs, from the e5 title vectors above
            FromIndex(
                store.version,
                lambda: dense_hub_shares(
                    store,
                    self._more_titles["title_e5"].current(),
                    "e5",
                    title_terms(snapshot.payloads(("key", "lang", "title")), self.lexical),
                    settings.languages,
                ),
                background=True,
            )
            if "title_e5" in self._more_titles
            else None
        )
        # Articles whose title is only their opening words give no title evidence (copilot.title_evidence).
        self._opening = FromIndex(
            store.version, lambda: opening_keys(snapshot.payloads(("key", "title", "text", "ordinal")))
        )
        self._names = FromIndex(
            store.version, lambda: index_names(snapshot.payloads(("title", "text"))), background=True
        )
        self._title_rarity = FromIndex(  # copilot.title_rarity: how many titles hold each term, per language
            store.version,
            lambda: TitleRarity.of(snapshot.payloads(("key", "lang", "title", "tags")), self._field_terms),
            background=True,
        )
        self._chunk_frequencies = FromIndex(  # copilot.common_terms: how many chunks hold each term, per language
            store.version,
            lambda: ChunkFrequencies.of(snapshot.payloads(CHUNK_TERM_FIELDS), self._document_terms),
            background=True,
        )
        self._title_names = FromIndex(
            store.version, lambda: title_names(snapshot.payloads(("key", "title", "text"))), background=True
        )
        self._series = FromIndex(  # copilot.series_pages: each numbered series step's linked articles
            store.version,
            lambda: step_links(snapshot.payloads(("key", "lang", "title", "links"))),
            background=True,
        )
        self._places = FromIndex(  # copilot.places: the territories the index has a page for
            store.version,
            lambda: PlacePages(snapshot.payloads(("key", "article_id", "title")), settings.languages),
            background=True,
        )
        self._slugs = FromIndex(  # copilot.slug_words: each article's id words, for the other language's customers
            store.version,
            lambda: SlugTerms(self.lexical, slug_ids(snapshot.payloads(("key", "article_id")))),
            background=True,
        )
        # copilot.query_coverage: each article's terms, and the index's own coverage scale per language
        self._article_terms = FromIndex(
            store.version,
            lambda: article_terms(snapshot.payloads(("key", "title", "heading_path", "text"))),
            background=True,
        )
        self._coverage_scales = FromIndex(
            store.version,
            lambda: coverage_scales(
                snapshot.payloads(("key", "lang", "title", "heading_path")),
                self._article_terms.get(),
                settings.languages,
            ),
            background=True,
        )
        # copilot.section_coverage: each section's terms and the words' IDF, and the index's section scale per language
        self._section_terms = FromIndex(
            store.version,
            lambda: SectionTerms.of(snapshot.payloads(("key", "lang", "title", "heading_path", "text", "ordinal"))),
            background=True,
        )
        self._section_scales = FromIndex(
            store.version, lambda: section_scales(self._section_terms.get()), background=True
        )
        self._feedback_vocabulary = FromIndex(  # the words' article counts (copilot.dense_feedback)
            store.version,
            lambda: FeedbackVocabulary.of(snapshot.payloads(("key", "lang", "title", "text"))),
            background=True,
        )
        self._term_miner = TermMiner(self.lexical)  # the index's words, for the tables mined from them (below)
        self._associations = FromIndex(  # heading word -> body words (copilot.heading_associations)
            store.version,
            lambda: HeadingAssociations.mine(self._term_miner, snapshot.payloads(ASSOCIATION_FIELDS)),
            background=True,
        )
        # copilot.nearest_words: the vocabulary and each model's vectors of it (built only with the lever on)
        self._word_vectors = [WordVectors(e) for e in self.embedders]
        self._nearest = FromIndex(
            store.version,
            lambda: NearestTable.build(
                IndexWords.of(self._term_miner, snapshot.payloads(NEAREST_FIELDS)), self._word_vectors
            ),
            background=True,
        )
        self._families = FromIndex(  # the names that frame a request (copilot.name_families)
            store.version,
            lambda: family_names(snapshot.payloads(("article_id", "key", "title", "text", "ordinal"))),
            background=True,
        )

    def refresh_views(self) -> None:
        """Start rebuilding, in the background, what ranking derives from the index (title and heading
        vectors, cross-lingual scales, hub shares) if the index changed: after a sync, so the next
        searches find them built. Returns at once; searches meanwhile rank without the missing ones."""
        for view in self._views():
            view.refresh()

    def check_index(self) -> None:
        """If the index changed: reopen it and rebuild what may be shown now, queue the rest
        (`index_view.watch`: the serving process does this between searches, not in the first one)."""
        self.store.reopen()  # searches meanwhile serve the previous version (indexer.stores.edge)
        self._article_keys.peek(check=True)
        self.refresh_views()

    def wait_for_views(self, timeout: float | None = None) -> None:
        """Block until the background builds `refresh_views` started are done (warm-up, tests)."""
        for view in self._views():
            view.wait(timeout)

    def _views(self) -> list[FromIndex[Any] | TitleVectors]:
        """What ranking derives from the index and builds in the background."""
        views: list[FromIndex[Any] | TitleVectors | None] = [self._titles, *self._more_titles.values()]
        views.append(self._summaries)
        views += [self._cross_scales, self._e5_scales, self._density_scales, self._hubs, self._names]
        views += [self._title_names, self._families]
        views.append(self._slugs)
        if LEVERS["places"]:
            views.append(self._places)
        if LEVERS["dense_feedback"] or LEVERS["agreed_feedback"]:
            views.append(self._feedback_vocabulary)
        if LEVERS["heading_words"]:
            views.append(self._associations)
        if LEVERS["nearest_words"]:
            views.append(self._nearest)
        if LEVERS["title_rarity"]:
            views.append(self._title_rarity)
        if LEVERS["common_terms"] or LEVERS["title_word_weights"]:
            views.append(self._chunk_frequencies)
        if LEVERS["self_floors"] or LEVERS["lowered_floors"]:
            views.append(self._self_floors)
        if LEVERS["query_adapter"]:
            views += [self._e5_headings, self._query_adapter]
        views += [self._dense_hubs, self._series]
        if LEVERS["query_coverage"]:  # m365: 6.4 s of ISRI roots per sync, for nothing while the lever is off
            views += [self._article_terms, self._coverage_scales]
        if self.section_coverage:  # for the rule only: m365's 3,076 sections' ISRI roots take 22 s (loaded machine)
            views += [self._section_terms, self._section_scales]
        views += self._synced_views()
        return [view for view in views if view is not None]

    def _synced_views(self) -> list[FromIndex[Any]]:
        """The views a syncing process waits for before it searches: its next search expands with
        the words it just indexed and abstains by the new index's own scales."""
        return [self._lexical_scales, *(self.vocabulary.views() if self.vocabulary is not None else [])]

    def wait_after_sync(self, timeout: float | None = None) -> None:
        """Block until `_synced_views` are built for the live index (`kb index`, the worker)."""
        for view in self._synced_views():
            view.wait(timeout)

    # -- the query plan -------------------------------------------------------------------------

    def expand(self, query: str, lang: str) -> Expansion:
        """The query's MSA wording, synonyms and typo corrections, each computed once.

        Dialect words are rewritten before synonyms are looked up, so a group listing only the MSA
        word still fires, and the typo corrector leaves them alone ("جاني" is not a typo of "مجاني").
        """
        msa_text, msa_words = query, []
        if lang == "ar":
            msa_text = dialect_to_msa(query)
            typed = set(normalize_arabic(query).split())
            msa_words = [w for w in normalize_arabic(msa_text).split() if w not in typed]
        synonyms = self.synonyms.expand(" ".join([query, *msa_words])) if self.synonyms is not None else []
        vocabulary = self.vocabulary
        if vocabulary is None:
            translated = self._translations(" ".join([query, *msa_words]), lang)
            return Expansion(msa_text, tuple(msa_words), tuple(synonyms), translations=translated)
        fixes = vocabulary.corrections(query, lang)
        if LEVERS["lexicon_spellings"] and lang == "ar":  # the index's words, loanwords and names stay as typed
            keep = vocabulary.known(lang) | vocabulary.foreign_words(query, lang)
            fixes += [fix for fix in lexicon_spellings().readings(query, keep).values() if fix not in fixes]
        misread = vocabulary.read_corrections(query, lang) if LEVERS["read_words"] else []
        names = vocabulary.transliterations(query, lang, LEVERS["clitic_names"]) if LEVERS["transliteration"] else []
        if LEVERS["heading_sounds"]:  # "جنوم": GNOME, where only the English articles print it
            names += [t for t in vocabulary.english_terms(query, lang, LEVERS["clitic_names"]) if t not in names]
        targets = self.settings.languages if LEVERS["shared_words"] else ()
        shared = [(t, w) for t in targets for w in vocabulary.shared_words(query, lang, t)]
        translated = self._translations(" ".join([query, *msa_words, *fixes]), lang)
        loans = loanword_terms(query, vocabulary.known(lang)) if LEVERS["loanwords"] and lang == "ar" else []
        if LEVERS["latin_terms"] and lang == "ar":  # "admin" typed in an Arabic query: المسؤول
            loans += [t for t in latin_terms(query) if t not in loans]
        family = vocabulary.variants(" ".join([query, *msa_words]), lang) if LEVERS["variants"] else []
        nouns = vocabulary.verbal_nouns(query, lang) if LEVERS["verbal_nouns"] else []
        spelt = vocabulary.spellings(query, lang) if LEVERS["spellings"] else []
        associated = self._associated(" ".join([query, *msa_words]), lang) if LEVERS["heading_words"] else ()
        nearest = self._nearest_words(query, lang) if LEVERS["nearest_words"] else ()
        places = self._places.peek() if LEVERS["places"] else None
        countries, across = places.names(query, lang, self.settings.languages) if places is not None else ([], [])
        # What the dense models embed names the country too, where the query's language has articles: over
        # another language's only (the fallback), the dense text is also the title evidence its abstention
        # floors read, and a guessed country is no evidence ("flight status to dubai": United Arab Emirates'
        # page, dev m365 English out-of-scope flagged 93% -> 87% with it); the bridge terms still carry it there.
        if countries and vocabulary.known(lang):
            msa_text = " ".join([msa_text, *countries])
        return Expansion(
            msa_text,
            tuple(msa_words),
            tuple(synonyms),
            tuple(fixes),
            tuple(names),
            tuple(shared),
            translated + tuple(across),
            tuple(loans),
            tuple(family),
            tuple(nouns),
            tuple(spelt),
            tuple(misread),
            associations=associated,
            nearest=nearest,
            places=tuple(countries),
        )

    def _associated(self, text: str, lang: str) -> tuple[str, ...]:
        """The body words the index's sections pair with the query's heading words (copilot.heading_associations),
        without the words the query already says."""
        terms = self.lexical.encode_query(text, lang).indices
        said = set(_WORD.findall(text.lower()))
        return tuple(self._associations.get().associate(terms, lang, exclude=said))

    def _nearest_words(self, query: str, lang: str) -> tuple[str, ...]:
        """The dense models' nearest index words to the query's words no article of `lang` holds
        (copilot.nearest_words); none while the vocabulary's vectors are being built."""
        table = self._nearest.peek()
        if table is None:
            return ()
        return tuple(table.neighbours(query, lang, self._term_miner))

    def _translations(self, text: str, lang: str) -> tuple[tuple[str, str], ...]:
        """The mined term table's words for the query's terms, per other language (copilot.term_table)."""
        if not LEVERS["term_table"]:
            return ()
        table = self.term_table.get()
        if not len(table):
            return ()
        terms = self.lexical.encode_query(text, lang).indices
        return tuple(
            (target, word)
            for target in self.settings.languages
            if target != lang
            for word in table.translate(terms, lang, target)
        )

    def plan(
        self,
        raw_query: str,
        lang: str | None = None,
        limit: int = 10,
        audience: Audience = "public",
        categories: Sequence[str] | None = None,
        only: str | None = None,
        ticket: bool = False,
    ) -> QueryPlan:
        """Validate the request and decide everything about the search that needs no index."""
        query, truncated = clean_query(raw_query, self.settings.max_query_chars)
        languages = self.settings.languages
        if lang is not None and lang not in languages:
            raise QueryError(f"unknown language {lang!r}; use one of {', '.join(languages)}")
        lang = lang or detect_language(query, languages)
        return QueryPlan(
            query=query,
            lang=lang,
            others=tuple(lg for lg in languages if lg != lang),
            truncated=truncated,
            limit=max(1, min(int(limit), 50)),
            audience=AGENT if sees_internal(audience) else PUBLIC,
            categories=tuple(categories) if categories else None,
            only=SPARSE_VECTOR if only == LEXICAL else only,
            register=query_register(query, lang),
            expansion=self._expansion(query, lang, ticket),
            ticket=ticket,
        )

    def _expansion(self, query: str, lang: str, ticket: bool) -> Expansion:
        """`expand`, without the verbal nouns for a ticket's text: a story has many verbs, and their
        nouns pulled a neighbouring article above the answer (bench/copilot_bench.py: Arabic drafts
        citing an answering section 26/31 without, 25/31 with; typed queries keep them)."""
        expansion = self.expand(query, lang)
        return replace(expansion, verbal_nouns=()) if ticket and expansion.verbal_nouns else expansion

    def lexical_query(self, query: str, lang: str) -> str:
        """The query plus its MSA wording, synonyms and typo corrections (lexical side only)."""
        return " ".join(part for part, _ in self.expand(query, lang).lexical_parts(query) if part)

    def cross_lingual_terms(self, query: str, lang: str, target: str) -> str:
        """Lexical evidence a query carries into another language's articles (see Expansion)."""
        return self.expand(query, lang).cross_lingual_terms(query, target)

    # -- the pipeline ---------------------------------------------------------------------------

    def search(
        self,
        raw_query: str,
        lang: str | None = None,
        limit: int = 10,
        audience: Audience = "public",
        categories: Sequence[str] | None = None,
        only: str | None = None,
        ticket: bool = False,
        verbatim: bool = False,
    ) -> SearchResult:
        """Search; `only` restricts ranking to one source ("e5", "use", "lexical") for evaluation;
        `ticket` says the text is a support ticket's, not a typed query (QueryPlan.ticket).

        A typed query the index reads as typed with the wrong keyboard layout (`read_layout`) is searched as
        the other layout's, and the result says so (`SearchResult.typed_query`); `verbatim` searches it as
        typed (the customer's "search instead for"). A ticket's text is always searched as written.

        Raises `QueryError` for a query that cannot be searched and `SearchUnavailable` when the
        index cannot be read; a failing model degrades the answer instead (`degraded_reason`).
        """
        meant = None if ticket or verbatim else self.read_layout(raw_query)
        result = self._search(meant or raw_query, lang, limit, audience, categories, only, ticket)
        if not ticket:
            result = self._judged(result)
        return replace(result, typed_query=raw_query) if meant is not None else result

    def _judged(self, result: SearchResult) -> SearchResult:
        """The result as the relevance judge would have it (copilot.relevance_judge): its first articles reordered
        (LEVERS["judge_rerank"]) and abstaining when the first is judged no (LEVERS["judge_abstain"]). Unchanged
        without a judge, a judgment or either lever."""
        judge = self.judge
        if judge is None or not result.results or not (LEVERS["judge_rerank"] or LEVERS["judge_abstain"]):
            return result
        hits = list(result.results)
        judgments = [judge.judgment(result.query, hit.id) for hit in hits[:JUDGE_TOP]]
        if LEVERS["judge_rerank"]:
            order = judged_order(list(range(len(hits))), judgments)
            hits, judgments = [hits[i] for i in order], [judgments[i] if i < len(judgments) else None for i in order]
        abstained = result.abstained or (LEVERS["judge_abstain"] and judged_abstains(judgments[0]))
        return replace(result, results=tuple(hits), abstained=abstained)

    def read_layout(self, query: str, typing: bool = False) -> str | None:
        """The query as the other keyboard layout types it, when the index's words say it was typed with the
        wrong one (copilot.keyboard_layout.wrong_layout); `typing`: still being typed, its last word may be
        the start of an index word (search as you type). A query longer than a search takes (max_query_chars: it is
        cut) is no query typed in a search box, and is searched as typed: read whole, the 1 MiB a post may carry (the
        search box's settled query, the contact form's) took seconds of CPU per request."""
        vocabulary = self.vocabulary
        if vocabulary is None or not LEVERS["keyboard_layout"] or len(query) > self.settings.max_query_chars:
            return None
        words = vocabulary.words if typing else None
        return wrong_layout(
            query, vocabulary.known, self.settings.languages, words, LEVERS["keyboard_layout_language_words"]
        )

    def _search(
        self,
        raw_query: str,
        lang: str | None,
        limit: int,
        audience: Audience,
        categories: Sequence[str] | None,
        only: str | None,
        ticket: bool,
    ) -> SearchResult:
        started = time.perf_counter()
        plan = self.plan(raw_query, lang, limit, audience, categories, only, ticket)
        timings: dict[str, float] = {}
        vectors, degraded = self._embed(plan, timings)
        plan = self._with_feedback(plan, vectors)
        sparse, typed = self._lexical_vectors(plan)
        # The lexical evidence for abstaining leaves out the ranking-only expansions (Expansion.lexical_parts).
        expansion = plan.expansion
        ranking_only = any(
            (
                expansion.variants,
                expansion.verbal_nouns,
                expansion.spellings,
                expansion.misread,
                expansion.feedback,
                expansion.associations,
                expansion.nearest,
                expansion.places,
            )
        )
        evidence = self._lexical_vectors(plan, ranking=False)[0] if sparse and ranking_only else sparse
        intent_text = self._intent_text(plan) if vectors else None
        ranking = sparse
        families = framing_families(plan.expansion.msa, intent_text, self._families.get()) if intent_text else []
        if sparse and families and LEVERS["family_names"]:
            frame = frozenset(self.lexical.encode_query(" ".join(families), plan.lang).indices)
            ranking = weighed(sparse, frame, FAMILY_NAME_WEIGHT)
        frequencies = self._chunk_frequencies.peek() if sparse and LEVERS["common_terms"] else None
        if ranking and frequencies is not None:  # copilot.common_terms: ranking only, the evidence reads as before
            ranking = frequencies.weigh(ranking, plan.lang)
        sources = self._sources(plan, self._adapted(plan, vectors), ranking)
        if not sources:
            return SearchResult(
                plan.query,
                plan.lang,
                "lexical",
                _ms(started),
                (),
                plan.truncated,
                degraded=degraded is not None,
                degraded_reason=degraded,
                fallback_reason="no_searchable_terms",
            )
        mode: Mode = "hybrid" if vectors and sparse else ("dense" if vectors else "lexical")
        intent = self._intent_vectors(plan, vectors, intent_text)
        scale = FAMILY_INTENT_SCALE if families and LEVERS["family_intent"] else 1.0
        batch = self._batch(plan, sources, vectors, evidence, intent, scale)
        answers = self._ask_store(batch, timings)

        signals = _signals(answers.evidence)
        if LEXICAL_TOP in signals:
            signals["lexical_share"] = signals[LEXICAL_TOP] / self.lexical_scale(plan.lang)
        if self._reads_own_shares:
            self._own_shares(plan.lang, signals)  # read by near_topic, the suite's fits, or a help center's floors
        fused = len(sources) > 1
        ranked = _best_chunk_per_article(answers.ranking, ARTICLE_CREDIT if fused else 0.0)
        if answers.votes:  # LEVERS["article_votes"]: each source's places read as articles' (copilot.article_votes)
            ranked = credit_votes(ranked, vote_credit(answers.votes, self.rrf_k))
        means_credit: dict[object, float] = {}
        # The product names the request is framed with, read once for the two levers that use them.
        named = (framing_names(plan.expansion.msa, intent_text) if LEVERS["framed_lead"] or LEVERS["name_rarity"]
                 else frozenset())
        if fused and sparse:
            best_fused = sum(source.weight for source in sources) / (self.rrf_k + 1)  # first everywhere
            if LEVERS["field_credit"]:
                ranked = self._credit_fields(ranked, {plan.lang: (sparse, typed)}, FIELD_CREDIT * best_fused, named)
            own = self._more_titles["title_e5"].peek() if "title_e5" in self._more_titles else None
            own = None if plan.ticket else own
            if LEVERS["own_titles"] and own is not None and "e5" in vectors and written_titles(ranked):
                weight = OWN_TITLE_CREDIT * best_fused * (OWN_TITLE_K + 1)
                mix = FAMILY_INTENT_MIX if families and LEVERS["family_titles"] else INTENT_MIX
                asked = title_query(vectors["e5"], intent.get("e5") if LEVERS["titles_by_intent"] else None, mix)
                ranked = self._credit_title_rank(ranked, own, asked, (plan.lang,), weight, OWN_TITLE_K)[0]
            if LEVERS["own_chunk_means"] and not plan.ticket:
                uncredited = {h.payload.get("key"): h.score for h in ranked[:OWN_CHUNK_MEAN_TOP]}
                top = self._credit_chunk_means(ranked[:OWN_CHUNK_MEAN_TOP], plan, vectors, "own_chunk_means")
                means_credit = {h.payload.get("key"): h.score - uncredited[h.payload.get("key")] for h in top}
                ranked = [*top, *ranked[OWN_CHUNK_MEAN_TOP:]]
            if LEVERS["hubs"]:
                ranked = demote_hubs(ranked, self._hub_shares(plan, answers.evidence), HUB_PENALTY * best_fused)
            if LEVERS["series_steps"] and not plan.ticket:
                ranked = defer_steps(ranked, self._series.peek)
            if LEVERS["sibling_titles"] and not plan.ticket:
                ranked = prefer_specific(ranked, partial(self._title_matches, sparse, plan.lang), best_fused)
            if answers.singles:  # LEVERS["unanimous_first"]: the credits decide only where the models split
                ranked = unanimous_first(ranked, answers.singles)
            if batch.evidence and ranked and evidence:
                signals["field_top"] = self._field_share(ranked[0], evidence, typed, plan.lang)
        if ranked and not plan.ticket and (LEVERS["query_coverage"] or self.abstain_floors is None):
            self._coverage(plan, ranked[0], signals)  # with the floors off too: what the suite fits them on
        if ranked and not plan.ticket and (self.section_coverage or self.abstain_floors is None):
            self._section_coverage(plan, ranked[0], signals)
        hits = [self._hit(h, plan.query, plan.lang, fallback=False) for h in ranked[: plan.limit]]
        if means_credit:
            hits = [replace(h, means_credit=means_credit.get(h.key, 0.0)) for h in hits]
        framing = named if LEVERS["framed_lead"] else frozenset()
        hits, reason, answered_elsewhere = self._missing_translations(
            plan, batch, answers, vectors, intent, signals, hits, framing, named, (sparse, typed) if sparse else None
        )
        if ranked and signals and not plan.ticket and self.vocabulary is not None and self._reads_unknown_names():
            unknown = unknown_names(plan.query, plan.lang, self.vocabulary, self.settings.languages)
            signals["unknown_names"] = float(len(unknown))
        return SearchResult(
            query=plan.query,
            lang=plan.lang,
            mode=mode,
            took_ms=_ms(started),
            results=tuple(hits),
            truncated=plan.truncated,
            degraded=degraded is not None,
            degraded_reason=degraded,
            fallback_reason=reason,
            fallback_lang=plan.lang if reason is not None else None,
            # With no article in the query's language, "answered elsewhere" only says the best one
            # scored >= FALLBACK_MIN_SCORE: the cross-lingual floors judge it (they are fitted so).
            abstained=(not answered_elsewhere or not ranked)
            and self._abstains(
                plan.lang,
                signals,
                plan.register,
                only_elsewhere=not ranked and bool(hits),
                target=hits[0].lang if hits else "",
                query=plan.query,
            ),
            signals=signals,
            timings_ms=timings,
        )

    def _hub_shares(self, plan: QueryPlan, evidence: dict[str, list[Hit]]) -> dict[str, float]:
        """The lexical hub shares, with e5's dense hubs beside them (LEVERS["dense_hubs"]) except the
        article the query's BM25 evidence ranks first (copilot.dense_hubs.shares_for). Typed queries
        only: on tickets' text (bench/copilot_bench.py) they cost an English draft its section (29 -> 28
        of 31) and one answerable ticket abstained."""
        hubs = self._hubs.peek() or {}
        if not LEVERS["dense_hubs"] or self._dense_hubs is None or plan.ticket:
            return hubs
        first = evidence.get(LEXICAL) or []
        return shares_for(hubs, self._dense_hubs.peek() or {}, str(first[0].payload.get("key")) if first else None)

    def _coverage(self, plan: QueryPlan, first: Hit, signals: dict[str, float]) -> None:
        """The near-topic evidence (copilot.query_coverage): how much of the question the first article holds,
        on the index's coverage scale (USE's top score on the language's own scale is `_own_shares`); nothing
        until built."""
        held, scales = self._article_terms.peek(), self._coverage_scales.peek()
        value = coverage(plan.query, held.get(str(first.payload.get("key")), frozenset())) if held else None
        if value is None or not scales or plan.lang not in scales:
            return
        signals["coverage"] = value
        signals["coverage_share"] = scales[plan.lang].share(value)

    def _own_shares(self, lang: str, signals: dict[str, float]) -> None:
        """The dense models' top scores as shares of the index's own same-language scales (`e5_share`,
        `use_share`: 0 = what the nearest wrong article scores for the index's titles, 1 = the right one),
        where the model answered and the scale is built: floors fitted in these units carry over to
        another help center, raw cosines do not (copilot.calibration.own_scales)."""
        e5 = self._e5_scales.peek() if self._e5_scales is not None and "e5_top" in signals else None
        use = self._cross_scales.peek() if self._cross_scales is not None and "use_top" in signals else None
        for model, scale in (("e5", (e5 or {}).get(lang)), ("use", (use or {}).get((lang, lang)))):
            if scale is not None:
                signals[f"{model}_share"] = scale.chunk_share(signals[f"{model}_top"])

    @property
    def _reads_own_shares(self) -> bool:
        """Whether anything reads the own-scale shares: a near-topic rule, the suite's fits (no floors), or a
        help center's floors on them."""
        floors = self.abstain_floors
        return LEVERS["query_coverage"] or self.section_coverage or floors is None or reads_own_shares(floors)

    @property
    def section_coverage(self) -> bool:
        """Whether the near-topic section rule abstains: the help center's setting, or the bench's lever."""
        return self.settings.near_topic_abstention or LEVERS["section_coverage"]

    def _section_coverage(self, plan: QueryPlan, first: Hit, signals: dict[str, float]) -> None:
        """The near-topic evidence of copilot.section_coverage: the IDF-weighted share of the question the first
        result's best section holds, raw (`section_coverage`) and on the index's scale (`section_share`)."""
        terms, scales = self._section_terms.peek(), self._section_scales.peek()
        if terms is None or not scales or plan.lang not in scales:
            return
        expansion = plan.expansion
        readings = [*expansion.corrections, *expansion.transliterations, *expansion.loanwords]
        value = section_coverage(plan.query, first.payload, plan.lang, terms, readings)
        if value is not None:
            signals["section_coverage"] = value
            signals["section_share"] = scales[plan.lang].share(value)

    def lexical_scale(self, lang: str) -> float:
        """What this index's own titles score as lexical queries in `lang` (the median top score)."""
        scales = self._lexical_scales.peek()  # None only while the very first build runs
        return scales.get(lang, DEFAULT_LEXICAL_SCALE) if scales is not None else DEFAULT_LEXICAL_SCALE

    def query_vectors(self, query: str, only: str | None = None) -> dict[str, np.ndarray]:
        """Every model's vector for the query: cached ones at once, the others embedded concurrently."""
        key_text = normalize_arabic(query.lower())
        out: dict[str, np.ndarray] = {}
        pending = {}
        for batcher in self._batchers:
            if only is not None and batcher.name != only:
                continue
            vector = self._vectors.get((batcher.model_id, key_text))
            if vector is None:
                pending[batcher] = batcher.submit(query)
            else:
                out[batcher.name] = vector
        for batcher, future in pending.items():
            vector = future.result()
            self._vectors.put((batcher.model_id, key_text), vector)
            out[batcher.name] = vector
        return {e.name: out[e.name] for e in self.embedders if e.name in out}

    def _embed(self, plan: QueryPlan, timings: dict[str, float]) -> tuple[dict[str, np.ndarray], DegradedReason | None]:
        """The dense vectors, or none and a named reason: a model failure must not take search down."""
        if plan.only == SPARSE_VECTOR:
            return {}, None
        try:
            t0 = time.perf_counter()
            vectors = self.query_vectors(self._dense_text(plan), plan.only)
            timings["embed_ms"] = (time.perf_counter() - t0) * 1000
            return vectors, None
        except Exception:
            log.exception("query embedding failed; serving lexical results only")
            return {}, "embedding_unavailable"

    def _dense_text(self, plan: QueryPlan) -> str:
        """What the dense models embed: the query's MSA wording, its loanwords read as their MSA words
        (copilot.loanword_text) when the query is typed in Arabic, and with LEVERS["model_spellings"] its
        misspelt words the index does not hold as the models' vocabularies read them (copilot.model_spellings), and
        with LEVERS["lexicon_spellings"] as a general Arabic lexicon reads them (copilot.lexicon_spellings)."""
        text = plan.expansion.msa
        if not LEVERS["loan_reading"] or plan.lang != "ar" or plan.ticket or self.vocabulary is None:
            return text
        known = self.vocabulary.known(plan.lang)
        typed = text
        # Without articles in the query's language nothing tells a loanword from an Arabic word the
        # index would have ("اغير", I change, sounds like hacker): the query is embedded as typed.
        if known and LEVERS["latin_reading"]:
            text = read_latin_terms(text, known)
        if known and LEVERS["spelled_words"]:  # loanwords are read below, not respelt
            text = self.vocabulary.spelled_text(text, plan.lang, self.vocabulary.foreign_words(text, plan.lang))
        if known and LEVERS["short_corrections"]:  # a word a general lexicon knows is spelt as meant
            foreign = self.vocabulary.foreign_words(text, plan.lang)
            text = self.vocabulary.corrected_text(text, plan.lang, foreign, lexicon_spellings().knows)
        text = read_loanwords(text, known) if known else text
        if LEVERS["model_spellings"]:  # the index's words, loanwords and names stay as typed
            text = model_spellings().read_text(text, known | self.vocabulary.foreign_words(typed, plan.lang))
        if LEVERS["lexicon_spellings"]:
            text = lexicon_spellings().read_text(text, known | self.vocabulary.foreign_words(typed, plan.lang))
        return text

    def _with_feedback(self, plan: QueryPlan, vectors: dict[str, np.ndarray]) -> QueryPlan:
        """The plan with the dense models' feedback terms (copilot.dense_feedback) in its expansion, when a
        feedback lever is on and a typed query is searched by both sides: with LEVERS["agreed_feedback"], the
        words of the article e5 and USE agree on and BM25 missed (`_agreed_feedback`), else (LEVERS["dense_feedback"])
        those of the dense models' fused first articles, for a query typing a word no article holds."""
        agreement = LEVERS["agreed_feedback"]
        vocabulary = self._feedback_vocabulary.peek() if LEVERS["dense_feedback"] or agreement else None
        if vocabulary is None or not vectors or plan.ticket or plan.evaluating:
            return plan
        if agreement:
            sections = self._agreed_feedback(plan, vectors)[1]
        elif asks_unheld(plan.query, plan.lang, vocabulary):
            sections = self._dense_sections(plan, vectors)
        else:
            return plan
        if not sections:
            return plan
        expansion = plan.expansion
        asked = " ".join(part for part, _ in expansion.lexical_parts(plan.query) if part)
        terms = feedback_terms(asked, sections, plan.lang, vocabulary)
        return replace(plan, expansion=replace(expansion, feedback=terms)) if terms else plan

    def _dense_sections(self, plan: QueryPlan, vectors: dict[str, np.ndarray]) -> list[str]:
        """The best chunk's text of each of the dense models' (fused) first FEEDBACK_ARTICLES articles."""
        weights = fusion_weights(self.fusion, plan.lang, LEVERS["fitted_fusion"])
        sources = tuple(Source(name, vec, plan.same_lang, weights.get(name, 1.0)) for name, vec in vectors.items())
        fields = ("key", "title", "text")
        limit = 4 * FEEDBACK_ARTICLES  # chunks: an article's several chunks can lead
        query = StoreQuery(sources, plan.base_filter, limit=limit, rrf_k=self.rrf_k, payload_fields=fields)
        try:
            hits = self.store.query([query])[0]
        except Exception:
            log.exception("the dense feedback query failed; searched without it")
            return []
        best: dict[str, str] = {}
        for hit in hits:
            key = str(hit.payload.get("key", ""))
            if key not in best and len(best) < FEEDBACK_ARTICLES:
                best[key] = f"{hit.payload.get('title', '')} {hit.payload.get('text', '')}"
        return list(best.values())

    def _agreed_feedback(self, plan: QueryPlan, vectors: dict[str, np.ndarray]) -> tuple[str | None, list[str]]:
        """The article e5 and USE agree on and BM25 (the plan's lexical query, before feedback) ranks low
        (copilot.dense_feedback.agreed_article), and its best chunk's text by e5 and by USE; (None, []) when
        they do not agree, BM25 has it, or a model is missing."""
        rankings = self._agreement_rankings(plan, vectors)
        if rankings is None:
            return None, []
        e5, use, lexical = ([str(hit.payload.get("key", "")) for hit in hits] for hits in rankings)
        agreed = agreed_article(e5, use, lexical)
        if agreed is None:
            return None, []
        sections: list[str] = []
        for hits in rankings[:2]:
            hit = next(hit for hit in hits if str(hit.payload.get("key", "")) == agreed)
            text = f"{hit.payload.get('title', '')} {hit.payload.get('text', '')}"
            if text not in sections:
                sections.append(text)
        return agreed, sections

    def _agreement_rankings(self, plan: QueryPlan, vectors: dict[str, np.ndarray]) -> list[list[Hit]] | None:
        """e5's, USE's and BM25's own rankings of the query language's chunks (BM25's empty when the query has
        no searchable word), in one round trip; None without both models or when the index does not answer."""
        if not {"e5", "use"} <= vectors.keys():
            return None
        fields = ("key", "title", "text")
        dense = [Source(name, vectors[name], plan.same_lang) for name in ("e5", "use")]
        queries = [StoreQuery((source,), plan.base_filter, AGREE_CHUNKS, payload_fields=fields) for source in dense]
        sparse = self._lexical_vectors(plan)[0]
        if sparse:
            lexical = Source(SPARSE_VECTOR, sparse, plan.same_lang)
            queries.append(StoreQuery((lexical,), plan.base_filter, LEXICAL_CHUNKS, payload_fields=("key",)))
        try:
            answers = self.store.query(queries)
        except Exception:
            log.exception("the agreement feedback query failed; searched without it")
            return None
        return [*answers, []] if not sparse else list(answers)

    def _document_terms(self, text: str, lang: str) -> tuple[int, ...]:
        """The lexical terms the index holds for a chunk's text (copilot.common_terms counts them)."""
        return self.lexical.encode_document(text, lang).indices

    def _lexical_vectors(self, plan: QueryPlan, ranking: bool = True) -> tuple[SparseVector | None, SparseVector]:
        """The weighted sparse query (None when lexical is not searched) and the typed words' own;
        `ranking=False`: without the ranking-only expansions (see Expansion.lexical_parts)."""
        typed = self.lexical.encode_query(plan.query, plan.lang)
        if plan.only not in (None, SPARSE_VECTOR):
            return None, typed
        weights: dict[int, float] = {}
        for position, (text, weight) in enumerate(plan.expansion.lexical_parts(plan.query, ranking)):
            if not text or weight <= 0:
                continue
            vector = typed if position == 0 else self.lexical.encode_query(text, plan.lang)
            for index, value in zip(vector.indices, vector.values, strict=True):
                weights[index] = max(weights.get(index, 0.0), value * weight)  # a term keeps its best weight
        return SparseVector(tuple(weights), tuple(weights.values())), typed

    def _adapted(self, plan: QueryPlan, vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The vectors the same-language ranking searches with: e5's mapped towards this index's own passages
        (copilot.query_adapter, LEVERS["query_adapter"]) for a typed query once the map is built, else as embedded."""
        adapter = self._query_adapter.peek() if self._query_adapter is not None and LEVERS["query_adapter"] else None
        if adapter is None or plan.ticket or "e5" not in vectors:
            return vectors
        return {**vectors, "e5": adapter.apply(vectors["e5"], plan.lang)}

    def _sources(self, plan: QueryPlan, vectors: dict[str, np.ndarray], sparse: SparseVector | None) -> list[Source]:
        """The main ranking's sources in the query's language, with this language's fusion weights (with
        LEVERS["kind_fusion"], this kind of typed query's: copilot.query_kind)."""
        kind = self._query_kind(plan) if LEVERS["kind_fusion"] and not plan.ticket else None
        weights = fusion_weights(self.fusion, plan.lang, LEVERS["fitted_fusion"], kind)
        sources = [Source(name, vec, plan.same_lang, weights.get(name, 1.0)) for name, vec in vectors.items()]
        if sparse:
            sources.append(Source(SPARSE_VECTOR, sparse, plan.same_lang, weights.get(LEXICAL, 1.0)))
        sources = [source for source in sources if source.weight > 0 or plan.evaluating]
        if plan.only is not None and sources and not any(s.vector_name == plan.only for s in sources):
            raise QueryError(f"no source named {plan.only!r}; known: {', '.join(s.vector_name for s in sources)}")
        return sources

    def _query_kind(self, plan: QueryPlan) -> Kind:
        """The typed query's kind (copilot.query_kind), its content words the ones the lexical index keeps."""
        return query_kind(plan.query, plan.lang, lambda word: bool(self.lexical.encode_query(word, plan.lang)))

    def _batch(
        self,
        plan: QueryPlan,
        sources: list[Source],
        vectors: dict[str, np.ndarray],
        evidence_sparse: SparseVector | None,
        intent: dict[str, np.ndarray] | None = None,
        intent_scale: float = 1.0,
    ) -> _Batch:
        """One round trip: the fused ranking, each source's own best scores (the evidence for
        abstaining; `evidence_sparse` stands for the lexical source there), and the other languages'
        best chunks for the missing-translation fallback. The intent's rankings weigh `intent_scale`
        times their usual share (copilot.name_families.FAMILY_INTENT_SCALE)."""
        base = plan.base_filter
        weights = {s.vector_name: s.weight for s in sources}
        more = intent_sources(intent or {}, {k: w * intent_scale for k, w in weights.items()}, plan.same_lang)
        ranking = StoreQuery((*sources, *more), base, limit=plan.limit * 4, rrf_k=self.rrf_k, candidates=_prefetch())
        votes = (
            tuple(
                (s.weight, StoreQuery((s,), base, limit=ranking.candidates, payload_fields=("key",)))
                for s in ranking.sources
            )
            if LEVERS["article_votes"] and len(ranking.sources) > 1 and not plan.evaluating and not plan.ticket
            else ()
        )
        singles = (
            tuple(StoreQuery((s,), base, limit=ranking.candidates, payload_fields=("key",)) for s in sources)
            if LEVERS["unanimous_first"] and len(sources) > 1 and not plan.evaluating and not plan.ticket
            else ()
        )
        # The evidence asks the query as embedded, not as adapted (copilot.query_adapter): the floors were fitted on it.
        evidence = tuple(
            (
                LEXICAL if s.is_sparse else s.vector_name,
                StoreQuery(
                    (Source(s.vector_name, _evidence(s, vectors, evidence_sparse), plan.same_lang),),
                    base,
                    limit=2,
                    payload_fields=("key",),
                ),
            )
            for s in sources
            if not plan.evaluating
        )
        cross = self._cross_lingual_embedder(vectors) if not plan.evaluating else None
        if not cross or not plan.others:
            return _Batch(ranking, evidence, None, votes, singles)
        other = PayloadFilter(langs=plan.others)
        cross_sources = [
            Source(name, vec, other, CROSS_LINGUAL_WEIGHTS.get(name, 0.5)) for name, vec in vectors.items()
        ] + intent_sources(intent or {}, {k: w * intent_scale for k, w in CROSS_LINGUAL_WEIGHTS.items()}, other)
        if LEVERS["content_words"]:
            content = self._content_vectors(plan, vectors)
            cross_sources = with_content(cross_sources, content, CROSS_LINGUAL_WEIGHTS, other)
        bridges: dict[str, SparseVector] = {}
        for target in plan.others:
            terms = plan.expansion.cross_lingual_terms(plan.query, target)
            bridge = self.lexical.encode_query(terms, target) if terms else None
            if bridge:
                bridges[target] = bridge
                weight = CROSS_LINGUAL_WEIGHTS.get(LEXICAL, 0.5)
                cross_sources.append(Source(SPARSE_VECTOR, bridge, PayloadFilter(langs=(target,)), weight))
            cross_sources += self._translated_sources(plan, target)
        fused = StoreQuery(tuple(cross_sources), base, limit=plan.limit * 4, rrf_k=self.rrf_k, candidates=_prefetch())
        # The fused list ranks; the cross-lingual model's own top score decides "better than ours".
        top = (
            StoreQuery((Source(cross, vectors[cross], other),), base, limit=1, payload_fields=("key",))
            if len(cross_sources) > 1
            else None
        )
        best = sum(source.weight for source in cross_sources) / (self.rrf_k + 1)
        return _Batch(ranking, evidence, _CrossQueries(fused, top, cross, bridges, best), votes, singles)

    def _translated_sources(self, plan: QueryPlan, target: str) -> list[Source]:
        """LEVERS["query_translation"]: the query's translation into `target` (copilot.query_translation) searched
        over `target`'s articles as a query typed in `target` is (its expansion, each model's vector and BM25,
        with `target`'s fusion weights), as more sources of the missing-translation fallback's fused ranking.
        With LEVERS["query_translation_confident"], only a translation whose confidence is known and at least
        `min_translation_confidence`. No translator, no translation, or a failure anywhere: no source (the fallback
        ranks as without it)."""
        gated = LEVERS["query_translation_confident"]
        if not (LEVERS["query_translation"] or gated) or self.translator is None or plan.ticket:
            return []
        try:
            text = self.translator.translate(plan.query, plan.lang, target)
            if not text:
                return []
            if gated:
                confidence = self.translator.confidence(plan.query, plan.lang, target)
                if confidence is None or confidence < self.min_translation_confidence:
                    return []
            there = self.plan(text, target, plan.limit, plan.audience, plan.categories)
            vectors = self.query_vectors(self._dense_text(there))
            sparse = self._lexical_vectors(there)[0]
        except Exception:
            log.exception("searching the query's translation failed; the fallback ranks without it")
            return []
        weights = fusion_weights(self.fusion, target, LEVERS["fitted_fusion"])
        shown = PayloadFilter(langs=(target,))
        sources = [Source(name, vector, shown, weights.get(name, 1.0)) for name, vector in vectors.items()]
        if sparse:
            sources.append(Source(SPARSE_VECTOR, sparse, shown, weights.get(LEXICAL, 1.0)))
        return [source for source in sources if source.weight > 0]

    def _content_vectors(self, plan: QueryPlan, vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The dense vectors of the query's content words (copilot.content_words), for the models that rank by them."""
        if not applies_content(plan.lang, plan.register):
            return {}
        text = content_text(self._dense_text(plan), lambda word: bool(self.lexical.encode_query(word, plan.lang)))
        if text is None:
            return {}
        try:
            return {
                name: vector
                for model in CONTENT_MODELS
                if model in vectors
                for name, vector in self.query_vectors(text, model).items()
            }
        except Exception:
            log.exception("embedding the query's content words failed; the fallback ranks without them")
            return {}

    def _intent_text(self, plan: QueryPlan) -> str | None:
        """The query without its product names (copilot.product_names), if it names any."""
        if not LEVERS["framing"] or plan.evaluating or plan.ticket:
            return None
        known = self.vocabulary.known(plan.lang) if LEVERS["arabic_names"] and self.vocabulary else frozenset()
        return intent_part(plan.expansion.msa, self._names.get(), known)

    def _intent_vectors(
        self, plan: QueryPlan, vectors: dict[str, np.ndarray], intent: str | None
    ) -> dict[str, np.ndarray]:
        """The dense vectors of the query's intent (`_intent_text`), if it names a product."""
        if not vectors or intent is None:
            return {}
        try:
            return {name: vector for name, vector in self.query_vectors(intent).items() if name in vectors}
        except Exception:
            log.exception("embedding the query's intent failed; ranking on the whole query")
            return {}

    def _ask_store(self, batch: _Batch, timings: dict[str, float]) -> _Answers:
        """The one round trip to the index; an index that cannot answer is a named outage."""
        t0 = time.perf_counter()
        try:
            answers = self.store.query(batch.queries())
        except Exception as exc:
            log.exception("the index did not answer a search")
            raise SearchUnavailable("the search index is unavailable; try again shortly") from exc
        timings["qdrant_ms"] = (time.perf_counter() - t0) * 1000
        return batch.read(answers)

    def _missing_translations(
        self,
        plan: QueryPlan,
        batch: _Batch,
        answers: _Answers,
        vectors: dict[str, np.ndarray],
        intent: dict[str, np.ndarray],
        signals: dict[str, float],
        hits: list[SearchHit],
        framing: frozenset[str] = frozenset(),
        named: frozenset[str] = frozenset(),
        query_terms: tuple[SparseVector, SparseVector] | None = None,
    ) -> tuple[list[SearchHit], FallbackReason | None, bool]:
        """Offer other-language articles that have no version in the query's language.

        One goes first when the cross-lingual model scores it above everything in the query's
        language (`answered_elsewhere`); others fill the room a language with few articles leaves.
        `intent`: the vectors of the query without its product names (`_intent_vectors`), if any;
        `framing`: those names (copilot.framed_lead.framing_names) where LEVERS["framed_lead"] reads them,
        `named`: those names whatever it says (the field credit's, LEVERS["name_rarity"]); `query_terms`: the
        searched and the typed query's lexical terms in its own language (LEVERS["translated_titles"]).
        """
        cross = batch.cross
        if cross is None:
            return hits, None, False
        credit = ARTICLE_CREDIT if len(vectors) > 1 else 0.0
        untranslated = self._untranslated(answers.cross_fused, plan.lang, credit, plan.audience)
        uncredited = {h.id: h.score for h in untranslated}
        if cross.bridges and LEVERS["field_credit"]:  # titles speak for untranslated articles too, via bridge terms
            bridge_terms = {
                target: (bridge, self._bridge_typed(plan, target, bridge)) for target, bridge in cross.bridges.items()
            }
            untranslated = self._credit_fields(untranslated, bridge_terms, FIELD_CREDIT * cross.best_fused, named)
        untranslated = self._credit_translated_titles(
            untranslated, plan, vectors, query_terms, FIELD_CREDIT * cross.best_fused, uncredited
        )
        untranslated = self._credit_slugs(untranslated, plan, cross.best_fused)
        untranslated = self._credit_titles(untranslated, vectors.get(cross.embedder), plan.others, signals)
        untranslated = self._credit_more_titles(untranslated, vectors, plan.others)
        untranslated = self._credit_summaries(untranslated, plan, vectors)
        means: dict[str, dict[str, float]] = {}
        untranslated = self._credit_chunk_means(untranslated, plan, vectors, means=means)
        untranslated = self._credit_mean_lead(untranslated, plan, means, cross.best_fused, framing)
        untranslated = self._credit_title_lead(untranslated, plan, vectors, intent, cross.best_fused)
        if untranslated:  # how far the rankings and credits agree on the first candidate (cross_fused_top)
            signals["cross_fused_top"] = fused_places(untranslated[0].score, self.rrf_k)
        raw_other = answers.cross_top
        best_here = signals.get(f"{cross.embedder}_top", 0.0)
        best_there = raw_other[0].score if raw_other else 0.0
        signals["cross_top"] = best_there
        if not hits:  # only another language answers: the floors judge the question, read both ways
            self._cross_typed_title(plan, untranslated, signals)
        self._cross_shares(plan.lang, untranslated, signals)
        self._cross_density(untranslated, vectors.get("e5"), signals)
        self._cross_heading(untranslated, vectors.get("use"), signals)
        self._cross_agreement(untranslated, vectors.get("e5"), signals)
        reason: FallbackReason | None = None
        answered_elsewhere = False
        top_untranslated = (
            untranslated and raw_other and untranslated[0].payload.get("key") == raw_other[0].payload.get("key")
        )
        if top_untranslated and best_there >= FALLBACK_MIN_SCORE and best_there > best_here:
            hits = [self._hit(untranslated.pop(0), plan.query, plan.lang, fallback=True), *hits][: plan.limit]
            reason, answered_elsewhere = "not_translated", True
        # Room left (a language with few articles): untranslated articles fill it, after ours.
        for candidate in untranslated[: max(0, plan.limit - len(hits))]:
            hits.append(self._hit(candidate, plan.query, plan.lang, fallback=True))
            reason = reason or "few_articles"
        return hits, reason, answered_elsewhere

    def _credit_translated_titles(
        self,
        ranked: list[Hit],
        plan: QueryPlan,
        vectors: dict[str, np.ndarray],
        query_terms: tuple[SparseVector, SparseVector] | None,
        credit: float,
        uncredited: dict[str, float],
    ) -> list[Hit]:
        """Other-language candidates credited by their titles translated into the question's language
        (copilot.title_translations): with LEVERS["translated_titles"] the field credit's `credit` times the share of
        the typed question's terms the translated title holds, less the bridge terms' field credit the candidate got
        already (its score over `uncredited`: the larger of the two counts); with LEVERS["translated_title_ranks"]
        the translated titles' USE rank as one more RRF source of TITLE_WEIGHT. No cache, a candidate with no
        translated title, or a failure: as without."""
        translations = self.title_translations
        ranks = LEVERS["translated_title_ranks"]
        if not (LEVERS["translated_titles"] or ranks) or translations is None or not ranked or plan.ticket:
            return ranked
        try:
            credited = ranked
            if query_terms is not None and LEVERS["field_credit"] and LEVERS["translated_titles"]:
                searched, typed = query_terms
                rescored = []
                for hit in ranked:
                    title = translations.translate(
                        str(hit.payload.get("title", "")), str(hit.payload.get("lang", "")), plan.lang
                    )
                    said = Hit(hit.id, 0.0, {"title": title})
                    share = self._field_share(said, searched, typed, plan.lang) if title else 0.0
                    already = hit.score - uncredited.get(hit.id, hit.score)
                    rescored.append(Hit(hit.id, hit.score + max(0.0, credit * share - already), hit.payload))
                credited = sorted(rescored, key=lambda h: -h.score)
            matrix = self._translated_titles(translations, plan.lang) if ranks and "use" in vectors else None
            if matrix is not None and matrix.keys:  # no translated title: no ranking (not a tie adding to every one)
                credited = self._credit_title_rank(credited, matrix, vectors["use"], plan.others, TITLE_WEIGHT)[0]
            return credited
        except Exception:
            log.exception("crediting the translated titles failed; the fallback ranks without them")
        return ranked

    def _translated_titles(self, translations: TitleTranslations, target: str) -> TitleMatrix | None:
        """The live index's titles translated into `target`, embedded by USE, keyed by their article (built once per
        index version and cache; an article with no translation into `target` has no row)."""
        use = self._titles.embedder if self._titles is not None else None
        if use is None:
            return None
        key = (self.store.version(), id(translations), target)
        matrix = self._translated_matrices.get(key)
        if matrix is not None:
            return matrix
        rows: dict[str, set[tuple[str, str]]] = {}
        for payload in self._title_payloads():
            lang, title = str(payload.get("lang", "")), str(payload.get("title", ""))
            text = translations.translate(title, lang, target) if lang != target else None
            if text:
                rows.setdefault(lang, set()).add((str(payload.get("key", "")), text))
        ordered = {lang: sorted(pairs) for lang, pairs in rows.items()}
        texts = sorted({text for pairs in ordered.values() for _, text in pairs})
        embedded = use.embed_passages(texts) if texts else np.zeros((0, 1), np.float32)
        known = {text: unit(vector).astype(np.float32) for text, vector in zip(texts, embedded, strict=True)}
        matrix = TitleMatrix(
            {lang: tuple(k for k, _ in pairs) for lang, pairs in ordered.items()},
            {lang: np.stack([known[t] for _, t in pairs]) for lang, pairs in ordered.items()},
        )
        self._translated_matrices = {key: matrix}  # an older version's or cache's go
        return matrix

    def _cross_shares(self, lang: str, candidates: Sequence[Hit], signals: dict[str, float]) -> None:
        """The cross-lingual evidence as shares of the index's own scale for this language pair."""
        scales = self._cross_scales.peek() if self._cross_scales is not None else None
        if scales is None or not candidates:  # not built yet: the raw cross-lingual floor decides
            return
        scale = scales.get((lang, str(candidates[0].payload.get("lang", ""))))
        if scale is None:
            return
        signals["cross_share"] = scale.chunk_share(signals.get("cross_top", 0.0))
        if "cross_title_top" in signals:
            typed = signals.get("cross_title_typed") if LEVERS["typed_reading"] else None
            signals["cross_title_share"] = scale.title_share(better_reading(signals["cross_title_top"], typed))

    def _cross_typed_title(self, plan: QueryPlan, candidates: Sequence[Hit], signals: dict[str, float]) -> None:
        """The candidates' best USE title cosine for the question as typed (`cross_title_typed`,
        copilot.typed_reading), when the dense models read another text (dialect words as MSA); measured with
        LEVERS["typed_reading"] on, or with the floors off (bench/eval_retrieval.py's signals)."""
        measured = LEVERS["typed_reading"] or self.abstain_floors is None  # floors off: what the suite fits on
        matrix = self._titles.peek() if self._titles is not None and measured else None
        if matrix is None or not candidates or "cross_title_top" not in signals or plan.ticket or plan.only:
            return
        if normalize_arabic(self._dense_text(plan).lower()) == normalize_arabic(plan.query.lower()):
            return  # read as typed: the same vector, the same evidence
        typed = self.query_vectors(plan.query, "use").get("use")
        keys = [str(hit.payload.get("key", "")) for hit in candidates]
        best = best_candidate_title(matrix.scores(unit(typed), plan.others), keys) if typed is not None else None
        if best is not None:
            signals["cross_title_typed"] = best

    def _cross_density(self, candidates: Sequence[Hit], query: np.ndarray | None, signals: dict[str, float]) -> None:
        """The title density of the best candidate's language around the query (`cross_density`),
        and as a share of the index's own scale (`cross_density_share`); absent until both are built."""
        titles = self._more_titles.get("title_e5")
        matrix = titles.peek() if titles is not None else None
        scales = self._density_scales.peek() if self._density_scales is not None else None
        if query is None or matrix is None or scales is None or not candidates:
            return
        target = str(candidates[0].payload.get("lang", ""))
        if target not in scales or target not in matrix.vectors:
            return
        signals["cross_density"] = title_density(matrix.vectors[target], unit(query))
        signals["cross_density_share"] = scales[target].share(signals["cross_density"])

    def _cross_heading(self, candidates: Sequence[Hit], query: np.ndarray | None, signals: dict[str, float]) -> None:
        """The first candidate's best USE cosine among its title and headings (`cross_heading_top`,
        copilot.heading_floor); absent until the title vectors are built."""
        views = [self._titles, self._more_titles.get("headings")]
        matrices = [matrix for view in views if view is not None and (matrix := view.peek()) is not None]
        if query is None or not candidates or not matrices:
            return
        payload = candidates[0].payload
        score = best_heading(matrices, str(payload.get("key", "")), str(payload.get("lang", "")), unit(query))
        if score is not None:
            signals["cross_heading_top"] = score

    def _cross_agreement(self, candidates: Sequence[Hit], query: np.ndarray | None, signals: dict[str, float]) -> None:
        """Whether e5's best title among the first candidate's language is that candidate's article
        (`cross_e5_agrees`, copilot.title_agreement); absent until e5's title vectors are built."""
        titles = self._more_titles.get("title_e5")
        matrix = titles.peek() if titles is not None else None
        if query is None or matrix is None or not candidates:
            return
        payload = candidates[0].payload
        agreement = agrees(matrix.scores(unit(query), (str(payload.get("lang", "")),)), str(payload.get("key", "")))
        if agreement is not None:
            signals["cross_e5_agrees"] = agreement

    def _credit_slugs(self, ranked: list[Hit], plan: QueryPlan, best_fused: float) -> list[Hit]:
        """Other-language candidates credited by how much of their id the query says (copilot.slug_words),
        when the query is in the ids' language; unchanged until the ids' terms are read."""
        slugs = self._slugs.peek() if LEVERS["slug_words"] and ranked else None
        if slugs is None or plan.lang != slugs.lang:
            return ranked
        query = frozenset(self.lexical.encode_query(plan.query, slugs.lang).indices)
        keys = [str(h.payload.get("key", "")) for h in ranked]
        shares = slugs.shares(keys, query, not LEVERS["slug_rare_words"]) if query else {}
        if not any(shares.values()):
            return ranked
        credit = slug_credit() * best_fused
        pairs = zip(ranked, keys, strict=True)
        rescored = [Hit(h.id, h.score + credit * shares.get(k, 0.0), h.payload) for h, k in pairs]
        return sorted(rescored, key=lambda h: -h.score)

    def _credit_titles(
        self, ranked: list[Hit], query: np.ndarray | None, langs: Sequence[str], signals: dict[str, float]
    ) -> list[Hit]:
        """Other-language candidates get their title's rank among the titles (USE) as one more RRF
        source, and the best title cosine among them becomes the `cross_title_top` signal."""
        if self._titles is None or query is None or not ranked or not LEVERS["title_vectors"]:
            return ranked
        matrix = self._titles.peek()
        if matrix is None:  # not built yet (started ahead, in the background): ranked as with the lever off
            return ranked
        credited, scores = self._credit_title_rank(ranked, matrix, query, langs, TITLE_WEIGHT)
        signals["cross_title_top"] = max(scores.get(str(h.payload.get("key", "")), 0.0) for h in ranked)
        return credited

    def _credit_more_titles(self, ranked: list[Hit], vectors: dict[str, np.ndarray], langs: Sequence[str]) -> list[Hit]:
        """Other-language candidates get their rank by e5 on the title and by USE on the best
        heading as more RRF sources (TITLE_RANKINGS), beside USE's title rank (_credit_titles)."""
        for name, titles in self._more_titles.items():
            query = vectors.get(titles.embedder.name)
            matrix = titles.peek() if query is not None and ranked and LEVERS[name] else None
            if query is None or matrix is None:
                continue
            ranked = self._credit_title_rank(ranked, matrix, query, langs, TITLE_RANKINGS[name])[0]
        return ranked

    def _credit_summaries(self, ranked: list[Hit], plan: QueryPlan, vectors: dict[str, np.ndarray]) -> list[Hit]:
        """Other-language candidates with their rank by USE on their summary as one more RRF source, in
        the directions SUMMARY_RANKING names; unchanged until the summaries' vectors are built."""
        directed = _directed_view(self._summaries, "summaries", SUMMARY_RANKING, ranked, plan, vectors)
        if directed is None:
            return ranked
        matrix, target, weight = directed
        return self._credit_title_rank(ranked, matrix, vectors["use"], (target,), weight)[0]

    def _credit_chunk_means(
        self,
        ranked: list[Hit],
        plan: QueryPlan,
        vectors: dict[str, np.ndarray],
        lever: str = "chunk_means",
        means: dict[str, dict[str, float]] | None = None,
    ) -> list[Hit]:
        """Candidates with their rank by the mean cosine of their chunks, per model, as more RRF sources
        (copilot.chunk_means): one store query per model, filtered to the candidates' articles. `lever`
        "chunk_means" ranks the other-language candidates (CHUNK_MEAN_WEIGHTS), "own_chunk_means" the query
        language's (OWN_CHUNK_MEAN_WEIGHTS; an article key names one language's version). If the index
        cannot answer it, the ranking stays as it was. `means`, when given, gets each model's article means."""
        own = lever == "own_chunk_means"
        weights = OWN_CHUNK_MEAN_WEIGHTS if own else CHUNK_MEAN_WEIGHTS
        models = [(name, w) for name, w in weights.items() if name in vectors and w > 0]
        if not ranked or not models or not LEVERS[lever]:
            return ranked
        keys = tuple(dict.fromkeys(str(h.payload.get("key", "")) for h in ranked))
        articles = PayloadFilter(article_keys=keys)
        queries = [
            StoreQuery(
                (Source(name, vectors[name], articles),),
                plan.base_filter,
                limit=CHUNK_DEPTH * len(keys),
                payload_fields=("key",),
            )
            for name, _ in models
        ]
        try:
            answers = self.store.query(queries)
        except Exception:
            log.exception("the chunk means of the %s candidates failed; ranked without them", lever)
            return ranked
        for (name, weight), hits in zip(models, answers, strict=True):
            scores = max_scores(hits) if own and name == "e5" and LEVERS["own_chunk_max"] else mean_scores(hits)
            if means is not None:
                means[name] = scores
            ranked = credit_rank(ranked, scores, weight, self.rrf_k)
        return ranked

    def _credit_mean_lead(
        self,
        ranked: list[Hit],
        plan: QueryPlan,
        means: dict[str, dict[str, float]],
        best_fused: float,
        framing: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """The other-language candidates with the article whose chunks' USE mean (`means`, from
        _credit_chunk_means) clearly leads the other candidates' credited by that lead, in the directions
        CHUNK_MEAN_LEAD names. The chunk means' rank alone gives a broad page's answer the same RRF share
        whether it leads by a hair or by far; the lead is copilot.title_lead's, read over the means. A page
        whose title names a product in `framing` (the question's frame) leads on the name: no credit
        (copilot.framed_lead)."""
        scores = means.get("use")
        if not LEVERS["chunk_mean_lead"] or not scores or not ranked:
            return ranked
        weight = _direction_weight(CHUNK_MEAN_LEAD, plan, ranked)[1]
        if weight <= 0:
            return ranked
        titles = {str(h.payload.get("key", "")): str(h.payload.get("title", "")) for h in ranked}
        lead = request_lead(title_lead(scores), titles, framing)
        return credit_lead(ranked, lead, weight * best_fused, CHUNK_MEAN_LEAD_FULL)

    def _credit_title_lead(
        self,
        ranked: list[Hit],
        plan: QueryPlan,
        vectors: dict[str, np.ndarray],
        intent: dict[str, np.ndarray],
        best_fused: float,
    ) -> list[Hit]:
        """The other-language candidates with the best USE title's article credited by its lead over
        the second title (copilot.title_lead), in the directions TITLE_LEAD names; the question is
        asked whole and without its product names (its intent), and the larger lead counts."""
        directed = _directed_view(self._titles, "title_lead", TITLE_LEAD, ranked, plan, vectors)
        if directed is None:
            return ranked
        matrix, target, weight = directed
        asked = [vectors["use"], intent.get("use")]
        lead = best_lead(title_lead(matrix.scores(unit(query), (target,))) for query in asked if query is not None)
        return credit_lead(ranked, lead, weight * best_fused, TITLE_LEAD_FULL)

    def _credit_title_rank(
        self,
        ranked: list[Hit],
        titles: TitleMatrix,
        query: np.ndarray,
        langs: Sequence[str],
        weight: float,
        k: int | None = None,
    ) -> tuple[list[Hit], dict[str, float]]:
        """Candidates re-sorted with their article's rank among `titles` (cosine to the query) as one
        more RRF source of `weight` (with RRF constant `k`, else the fusion's), and the cosines by key."""
        scores = titles.scores(unit(query), langs)
        return credit_rank(ranked, scores, weight, k or self.rrf_k), scores

    def _credit_fields(
        self,
        ranked: Sequence[Hit],
        terms: dict[str, tuple[SparseVector, SparseVector]],
        credit: float,
        names: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """Credit articles whose title and tags say what the query says.

        Titles and tags are the writer's own statement of what an article answers: a chunk's body
        may mention refunds in passing, the refund article's title is about them. An article gets
        `credit` times the share of the typed query's terms (stemmed, stopwords out: words, not
        letters) that its title or tags contain, synonyms and corrections of them included.
        `terms` holds, per article language, the searched and the typed query's terms. With
        LEVERS["title_rarity"] each term counts by how few titles hold it (copilot.title_rarity), with
        LEVERS["candidate_rarity"] by how few of `ranked`'s first CANDIDATE_TITLES hold it; with
        LEVERS["title_word_weights"] each matched term by how few chunks hold it (copilot.title_word_weights);
        with LEVERS["name_rarity"] only the framing `names` (copilot.framed_lead.framing_names) count by how few
        of the first candidates hold them (copilot.title_rarity.NameRarity).
        """
        rarity: Rarity | None = self._title_rarity.peek() if LEVERS["title_rarity"] else None
        if LEVERS["candidate_rarity"] or (LEVERS["name_rarity"] and names):  # the first candidates' titles' terms
            first = TitleRarity.of((hit.payload for hit in ranked[:CANDIDATE_TITLES]), self._field_terms)
            framed = {lang: self.lexical.encode_query(" ".join(sorted(names)), lang).indices for lang in terms}
            rarity = first if LEVERS["candidate_rarity"] else NameRarity(first, framed)  # names only, the rest 1
        frequencies = self._chunk_frequencies.peek() if LEVERS["title_word_weights"] else None
        if frequencies is not None:  # copilot.title_word_weights: a common matched word counts less
            rarity = TitleWordWeights(frequencies)
        rescored = []
        for hit in ranked:
            lang = str(hit.payload.get("lang", ""))
            share = self._field_share(hit, *terms[lang], lang, rarity) if lang in terms else 0.0
            rescored.append(Hit(hit.id, hit.score + credit * share, hit.payload))
        return sorted(rescored, key=lambda h: -h.score)

    def _bridge_typed(self, plan: QueryPlan, target: str, bridge: SparseVector) -> SparseVector:
        """What a bridge's field share is counted over: the bridge's own terms, or (LEVERS["bridge_share"]) those
        and the typed query's words not in `target`'s script, so one loanword of a long question ("الكمبيوتر":
        computer) no longer reads as the whole question said by every title holding "computer". Words typed in
        the target's script are in the bridge already (Expansion.cross_lingual_terms): counted once. A bridge
        holding a term of the help center's own bilingual synonym groups keeps its own count: those groups are
        the writer's statement of what a word means there (the demo's cross-lingual cases lost 0.010-0.016 when
        they too were counted over the question's words)."""
        arabic_target = target == "ar"
        if not LEVERS["bridge_share"] or any(has_arabic(m) == arabic_target for m in plan.expansion.synonyms):
            return bridge
        words = [w for w in _WORD.findall(plan.query) if has_arabic(w) != arabic_target]
        own = self.lexical.encode_query(" ".join(words), plan.lang)
        indices = tuple(dict.fromkeys((*bridge.indices, *own.indices)))
        return SparseVector(indices, tuple(1.0 for _ in indices))

    def _field_share(
        self,
        hit: Hit,
        searched: SparseVector,
        typed: SparseVector,
        lang: str,
        rarity: Rarity | None = None,
    ) -> float:
        """Share of the typed query's terms found in the hit's title or tags (synonyms count); with `rarity`
        (LEVERS["title_rarity"], LEVERS["title_word_weights"]) each term counts by its weight there."""
        held = frozenset(searched.indices) & self._field_terms(hit.payload, lang)
        if rarity is not None:
            return rarity.share(held, typed.indices, lang)
        size = len(set(typed.indices))
        return min(1.0, len(held) / size) if size else 0.0

    def _title_matches(self, searched: SparseVector, lang: str, hit: Hit) -> frozenset[int]:
        """The searched query's terms the hit's title or tags hold (none for another language's hit)."""
        if str(hit.payload.get("lang", "")) != lang:
            return frozenset()
        return frozenset(searched.indices) & self._field_terms(hit.payload, lang)

    def _field_terms(self, payload: dict[str, object], lang: str) -> frozenset[int]:
        """The lexical terms of an article's title and tags (cached: every chunk repeats them); a title that
        is only the article's opening words (copilot.title_evidence) is left out."""
        tags = payload.get("tags")
        title = "" if str(payload.get("key", "")) in self._opening.get() else str(payload.get("title", ""))
        text = " ".join([title, *(str(t) for t in (tags if isinstance(tags, list) else []))])
        key = (lang, text)
        terms = self._fields.get(key)
        if terms is None:
            if len(self._fields) > 4096:  # edited titles leave old entries behind
                self._fields.clear()
            terms = frozenset(self.lexical.encode_query(text, lang).indices)
            self._fields[key] = terms
        return terms

    def _abstains(
        self,
        lang: str,
        signals: dict[str, float],
        register: Register = "plain",
        only_elsewhere: bool = False,
        target: str = "",
        query: str = "",
    ) -> bool:
        """`target`: the language of the articles answering when only another language can (`only_elsewhere`);
        `query`: what was typed, for the title names it may spell (the `title_names` signal, LEVERS["title_names"])."""
        names = self._title_names.peek() if only_elsewhere and query and signals else None
        found = names.found(query) if names is not None else []
        if found:
            signals["title_names"] = float(len(found))
        if self.abstain_floors is None or not signals:
            return False
        if only_elsewhere:
            # The shadow log's mark (desk.floor_evidence): 1.0 below when the direction's floors decide, 0.0 when
            # another part of this rule does, which no learnt floor changes.
            signals[CROSS_DECIDES] = 0.0
            if LEVERS["title_names"] and signals.get("title_names", 0.0) > 0:
                return False
            if LEVERS["heading_floor"] and signals.get("cross_heading_top", HEADING_FLOOR) < HEADING_FLOOR:
                return True
            if LEVERS["fused_floor"] and signals.get("cross_fused_top", CROSS_FUSED_FLOOR) < CROSS_FUSED_FLOOR:
                return True
            direction = self.cross_floors.get(f"{lang}>{target}") or CROSS_DIRECTION_FLOORS.get(
                (lang, target), CROSS_ONLY_FLOORS
            )
            density_floor = CROSS_DENSITY_FLOORS.get((lang, target))
            agrees = not LEVERS["density_agreement"] or any(signals.get(n, f) < f for n, f in direction.items())
            if (
                density_floor is not None
                and signals.get("cross_density_share", density_floor) < density_floor
                and agrees
            ):
                return True
            if LEVERS["e5_agreement"] and _disagrees(signals, CROSS_DISAGREEMENT_FLOORS.get((lang, target))):
                return True
            calibrated = {name: floor for name, floor in direction.items() if name in signals}
            if len(calibrated) == len(direction):
                signals[CROSS_DECIDES] = 1.0
                return all(signals[name] < floor for name, floor in calibrated.items())
            return signals.get("cross_top", 0.0) < CROSS_ONLY_FLOOR  # no title vectors: the raw cosine
        floors = self.abstain_floors.get(lang, self.abstain_floors.get("*", {}))
        carrying = LEVERS["self_floors"] or LEVERS["lowered_floors"]
        if carrying and not _PROBING.active and floors == (ABSTAIN_FLOORS or {}).get(lang):
            carried = (self._self_floors.peek() or {}).get(lang, floors)  # the shipped floors on this index's scale
            floors = carried if LEVERS["self_floors"] else lowered_floors(floors, carried)
        floors = register_floors(floors, self.abstain_offsets.get(lang, {}), register) if floors else {}
        unsure = bool(floors) and all(signals.get(name, 0.0) < floor for name, floor in floors.items())
        if LEVERS["unknown_names"] and signals.get("unknown_names", 0.0) > 0 and weak_evidence(signals, floors):
            return True
        if unsure or (LEVERS["query_coverage"] and near_topic(signals)):
            return True
        return near_section(signals) and self.section_coverage  # same-language: only_elsewhere returned above

    def _reads_unknown_names(self) -> bool:
        """The `unknown_names` signal is read with its lever on, and with the floors off (what the suite collects)."""
        return LEVERS["unknown_names"] or self.abstain_floors is None

    def _carried_floors(self, snapshot: IndexSnapshot) -> dict[str, dict[str, float]]:
        """Per language with shipped floors, those floors carried to this index (LEVERS["self_floors"]): its own
        label-free probes searched (floors as shipped meanwhile, `_PROBING`), each floor at its reference position."""
        rows = snapshot.payloads(("key", "lang", "title", "heading_path"))
        # The probes read what a search reads (the lexical scale, the vocabulary, the title views): the views built in
        # the background after this one would otherwise be missing and the probes scored on the defaults (the
        # demo's English floors carried to 67% / 1.3% of its own dev questions instead of its 83% / 1.9%).
        for view in self._views():
            if view is not self._self_floors:
                view.wait()
        carried: dict[str, dict[str, float]] = {}
        _PROBING.active = True
        try:
            for lang in self.settings.languages:
                shipped, reference = (ABSTAIN_FLOORS or {}).get(lang), REFERENCE_QUANTILES.get(lang)
                own = [r for r in rows if r.get("lang") == lang]
                if shipped is None or reference is None or not own:
                    continue
                texts = [t for kind, found in probes(own, lang).items() if kind in POOLED for t in found]
                signals = [self.search(text, lang=lang, limit=10).signals for text in texts]
                carried[lang] = carried_floors(shipped, signals, reference)
        finally:
            _PROBING.active = False
        return carried

    @staticmethod
    def _cross_lingual_embedder(vectors: dict[str, np.ndarray]) -> str | None:
        """USE's vectors are aligned across languages; e5's are not. Any model beats none."""
        return "use" if "use" in vectors else next(iter(vectors), None)

    def _keys_by_audience(self) -> dict[Audience, frozenset[str]]:
        """Article keys per audience, by the same visibility rule the index queries filter on."""
        rows = IndexSnapshot.of(self.store).payloads(("key", "visibility"))
        public = visibilities(PUBLIC) or ()
        return {
            PUBLIC: frozenset(str(p["key"]) for p in rows if p.get("visibility") in public),
            AGENT: frozenset(str(p["key"]) for p in rows),
        }

    def _untranslated(self, candidates: Sequence[Hit], lang: str, credit: float, audience: Audience) -> list[Hit]:
        """Other-language articles, best first, that `audience` cannot read in `lang`."""
        available = self._article_keys.get()[audience]
        return [
            c
            for c in _best_chunk_per_article(candidates, credit)
            if f"{lang}/{c.payload.get('article_id')}" not in available
        ]

    def _hit(self, hit: Hit, query: str, query_lang: str, fallback: bool) -> SearchHit:
        p = hit.payload
        lang = str(p.get("lang", query_lang))
        article_id = str(p.get("article_id", ""))
        anchor = str(p.get("anchor", ""))
        text = str(p.get("text", ""))
        return SearchHit(
            id=article_id,
            lang=lang,
            title=str(p.get("title", "")),
            section=str(p.get("section", "")),
            anchor=anchor,
            snippet=make_snippet(text, query, lang),
            score=hit.score,
            locale_fallback=fallback,
            category=str(p.get("category", "")),
            internal=p.get("visibility") == "internal",
            text=text,
        )


OWN_SHARES = ("e5_share", "use_share")  # the dense models' top scores on the index's own scale (_own_shares)


class _Probing(threading.local):
    active = False  # this thread is searching an index's own probes: the floors as shipped (no recursion)


_PROBING = _Probing()


def reads_own_shares(floors: dict[str, dict[str, float]]) -> bool:
    """Whether any language's abstention floors (a help center's _search.yml may set them) are on `OWN_SHARES`:
    only then does a search measure them, since the first measurement builds both scales (about 1 s on m365)."""
    return any(name in OWN_SHARES for lang_floors in floors.values() for name in lang_floors)


def weak_evidence(signals: dict[str, float], floors: dict[str, float]) -> bool:
    """Whether the score evidence is too weak to outweigh a name the index never mentions (LEVERS["unknown_names"]):
    at most UNKNOWN_NAME_HELD of the same-language floors met."""
    return bool(floors) and sum(signals.get(name, 0.0) >= floor for name, floor in floors.items()) <= UNKNOWN_NAME_HELD


def register_floors(floors: dict[str, float], offsets: dict[str, dict[str, float]], register: str) -> dict[str, float]:
    """The abstention floors for a query register: the plain floors plus that register's offsets."""
    shift = offsets.get(register, {})
    return {name: floor + shift.get(name, 0.0) for name, floor in floors.items()}


def _evidence(
    source: Source, vectors: dict[str, np.ndarray], sparse: SparseVector | None
) -> Sequence[float] | np.ndarray | SparseVector:
    """What a source's evidence query asks: the lexical evidence's terms (`sparse`, when given), a dense model's
    query vector as embedded (its ranking may search with another: Retriever._adapted)."""
    if source.is_sparse:
        return sparse or source.vector
    return vectors.get(source.vector_name, source.vector)


def _best_chunk_per_article(hits: Sequence[Hit], credit: float = 0.0) -> list[Hit]:
    """One hit per article: its best chunk, plus a little credit for its other matching chunks.

    An article that answers a query in several sections is a safer answer than one with a single
    lucky chunk. The credit is 0.15 of the scores of its next two chunks: on the demo dev set
    MRR@10 went from 0.870 to 0.891 (EN) and 0.785 to 0.810 (AR). Crediting every extra chunk
    did as well on the dev set but let long articles win on a small help center by length alone,
    and raw cosines (single-source modes) would do that everywhere, so only fused (RRF) scores,
    which fall off with rank, get credit.
    """
    best: dict[str, Hit] = {}
    extra: dict[str, list[float]] = {}
    for hit in hits:
        key = str(hit.payload.get("key", hit.id))
        if key not in best:  # hits arrive best first
            best[key] = hit
        else:
            extra.setdefault(key, []).append(hit.score)
    scored = [
        Hit(h.id, h.score + credit * sum(extra.get(k, [])[:ARTICLE_CREDIT_CHUNKS]), h.payload) for k, h in best.items()
    ]
    return sorted(scored, key=lambda h: -h.score)


def make_snippet(text: str, query: str, lang: str, size: int = SNIPPET_CHARS) -> str:
    """A window of the chunk around the first query word it contains (folded for Arabic), its tables' rows as
    sentences and a right-to-left language's marks (kb.table_text.reply_form): the agents' suggested passages
    and the acknowledgement mail's suggested articles show it."""
    flat = " ".join(reply_form(text, lang).split())
    if len(flat) <= size:
        return flat
    fold = normalize_arabic if lang == "ar" else str
    haystack = fold(flat.lower())
    start = 0
    for word in _WORD.findall(fold(query.lower())):
        position = haystack.find(word)
        if position >= 0:
            start = max(0, position - size // 4)
            break
    window = flat[start : start + size]
    if start > 0:
        window = "…" + window[window.find(" ") + 1 :]
    window = window.rstrip() + ("…" if start + size < len(flat) else "")
    return in_reading_order(window, lang)  # a window may start inside a Latin phrase


def _prefetch() -> int:
    """A fused ranking's per-source prefetch depth: DEEP_PREFETCH with LEVERS["deep_prefetch"], else the store's."""
    return DEEP_PREFETCH if LEVERS["deep_prefetch"] else PREFETCH


def fused_places(score: float, rrf_k: int) -> float:
    """A fused score in first places of a weight-1 ranking: the weighted count of rankings that put the candidate
    first, each lower place counting (k + 1) / (k + rank) of one."""
    return score * (rrf_k + 1)


def _disagrees(signals: dict[str, float], floor: float | None) -> bool:
    """e5's best title is not the first candidate's article and the chunk share is under `floor`
    (CROSS_DISAGREEMENT_FLOORS); never without a floor or without both signals."""
    if floor is None or "cross_e5_agrees" not in signals or "cross_share" not in signals:
        return False
    return signals["cross_e5_agrees"] == 0.0 and signals["cross_share"] < floor


def _directed_view(
    view: TitleVectors | None,
    lever: str,
    weights: Mapping[tuple[str, str], float],
    ranked: Sequence[Hit],
    plan: QueryPlan,
    vectors: dict[str, np.ndarray],
) -> tuple[TitleMatrix, str, float] | None:
    """A USE view of the other-language candidates (titles, summaries) with the candidates' language
    and the weight `weights` gives the query's direction; None when the lever is off, the view is
    not built yet, there is no USE query or no candidate, or the direction has no weight."""
    matrix = view.peek() if view is not None and LEVERS[lever] else None
    if matrix is None or "use" not in vectors or not ranked:
        return None
    target, weight = _direction_weight(weights, plan, ranked)
    return (matrix, target, weight) if weight > 0 else None


def _direction_weight(
    weights: Mapping[tuple[str, str], float], plan: QueryPlan, ranked: Sequence[Hit]
) -> tuple[str, float]:
    """The other-language candidates' language and the weight `weights` gives the direction from the
    query's language to it (0 for a direction it does not name): the fallback's levers are per direction."""
    target = str(ranked[0].payload.get("lang", ""))
    return target, weights.get((plan.lang, target), 0.0)


def _signals(evidence: dict[str, list[Hit]]) -> dict[str, float]:
    """Each source's own top score and its margin over the second: the evidence for abstaining."""
    signals: dict[str, float] = {}
    for name, top in evidence.items():
        signals[f"{name}_top"] = top[0].score if top else 0.0
        signals[f"{name}_margin"] = top[0].score - top[1].score if len(top) > 1 else 0.0
    return signals


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
