// unsignedCompanies returns the active companies without a signature of
// the current version made while it was current (signature.current: the
// one that counts in meetings' rate), in the companies' order. A
// signature of an older version, or one recorded late, does not count.
export function unsignedCompanies(companies, signatures) {
  const signed = new Set((signatures || []).filter((s) => s.current).map((s) => s.company_id))
  return (companies || []).filter((c) => !signed.has(c.id))
}
