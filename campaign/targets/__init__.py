"""Targets: the officials a letter campaign addresses, and the letters its signers send them.

Vocabulary (one name for the domain in code: `targets`):

- a *target* is an official a campaign addresses: an entry of the officials
  directory (the `Official` model), reached either by routing a signer to
  their own officials or from the campaign's fixed list (`LetterTarget`);
- a *letter* is what is sent to a target: one per signature and official
  (the `Letter` model), written from the campaign's templates.

The package, its blueprint (`targets`), its templates (templates/targets/)
and its modules use that one name. What the public and the data already
know keeps its words: the URL paths (/letters/..., /staff/letters/...,
officials.json), the table names, the `campaign officials` command group,
the form fields and the translated strings.

Modules: service (routing a signer to their targets, writing each letter
once, holding suspect ones), pacing (each target's sending slots), messages
(a letter written as mail when it is sent), bounces, digests, followups,
delivery (what became of the letters), directory, letters (the letter text),
preview, copies, demo; routes and pages on the blueprint of blueprint.py.
"""
