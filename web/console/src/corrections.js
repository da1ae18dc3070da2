// What the pages that correct or close a record compute: who a publicity
// post is by, the If-Match of a post's version, the outcomes a mutual-aid
// request may be closed with, and the body of a minutes correction. Pure
// functions: unit-tested in corrections.test.js.

// postAuthor is who a reader sees as a post's author: the company's name
// the API captured when the version was written (author_name), else the
// company's id (a node that had not heard of the company yet), else, for
// the lead's post (no company), the district's lead. The account id in
// author means nothing to a reader and is never shown.
export function postAuthor(post, t) {
  if (!post) return ''
  if (post.author_name) return post.author_name
  if (post.company_id) return post.company_id
  return t('publicity.lead', { district: post.district })
}

// versionETag is the If-Match of an edit of a post read at version v (the
// API's ETag of a post is its version, quoted).
export function versionETag(v) {
  return `"${v}"`
}

// aidCloseOutcomes are the outcomes a request may be closed with: fulfilled
// (with what was accepted) only once some guards were accepted (the API
// answers aid.nothing_accepted otherwise), cancelled always; none once it
// is closed.
export function aidCloseOutcomes(r) {
  if (!r || r.status !== 'open') return []
  return (r.accepted || 0) > 0 ? ['fulfilled', 'cancelled'] : ['cancelled']
}

// closeAidInput is the body of close_aid_request: the reason trimmed and
// left out when blank.
export function closeAidInput(form) {
  const reason = (form.reason || '').trim()
  return reason ? { outcome: form.outcome, reason } : { outcome: form.outcome }
}

// correctionInput is the body of add_minute_entry for a correction of the
// published entry: the corrected speaker, role and text, the entry's kind
// and agenda item kept, and supersedes naming it (the correction is a
// draft, published with the next version; the published version never
// changes).
export function correctionInput(entry, edit) {
  const s = (v) => (v || '').trim()
  const body = { kind: edit.kind || entry.kind, speaker: s(edit.speaker), speaker_role: s(edit.speaker_role), text: edit.text || '', supersedes: entry.id }
  if (entry.agenda_item_id) body.agenda_item_id = entry.agenda_item_id
  if (entry.company_id) body.company_id = entry.company_id
  return body
}

// minuteState is how an entry of the minutes is shown: published (in a
// version), correction (a draft that will replace a published entry at the
// next version) or draft.
export function minuteState(entry) {
  if (entry.published_in) return 'published'
  return entry.supersedes ? 'correction' : 'draft'
}
