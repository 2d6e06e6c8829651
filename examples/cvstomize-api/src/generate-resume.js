/**
 * Turns uploaded résumé data into the document the PDF renders: sections ordered by the template,
 * skills and highlights ranked by how well they match the target job's words.
 */
export function generateResume(data, { templateId, targetJob }) {
  const words = new Set(
    String(targetJob ?? '')
      .toLowerCase()
      .split(/[^a-z0-9+#.]+/)
      .filter((w) => w.length > 1),
  );
  const score = (text) =>
    String(text)
      .toLowerCase()
      .split(/[^a-z0-9+#.]+/)
      .filter((w) => words.has(w)).length;
  const rank = (items) =>
    items
      .map((item, index) => ({ item, index, s: score(item) }))
      .sort((a, b) => b.s - a.s || a.index - b.index)
      .map((x) => x.item);

  const skills = rank(data.skills ?? []);
  const experience = (data.experience ?? []).map((job) => ({
    title: job.title,
    company: job.company,
    period: [job.start, job.end ?? 'present'].filter(Boolean).join(' – '),
    highlights: rank(job.highlights ?? []),
  }));
  const education = (data.education ?? []).map((e) => ({
    degree: e.degree,
    school: e.school,
    year: e.year,
  }));
  const matched = skills.filter((s) => score(s) > 0);
  const summary = [
    data.summary,
    targetJob && matched.length > 0
      ? `Relevant to ${targetJob}: ${matched.slice(0, 5).join(', ')}.`
      : undefined,
  ]
    .filter(Boolean)
    .join(' ');

  const sections =
    templateId === 'modern'
      ? ['summary', 'skills', 'experience', 'education']
      : ['summary', 'experience', 'education', 'skills'];
  return {
    template: templateId,
    targetJob: targetJob ?? null,
    header: {
      name: data.name,
      headline: data.headline ?? '',
      email: data.email ?? '',
      phone: data.phone ?? '',
    },
    sections,
    summary,
    skills,
    experience,
    education,
  };
}

/** Validates the uploaded JSON; returns a list of problems (empty when valid). */
export function validateResumeData(data) {
  const problems = [];
  if (!data || typeof data !== 'object' || Array.isArray(data)) return ['data must be an object'];
  if (typeof data.name !== 'string' || data.name.trim() === '') problems.push('data.name is required');
  for (const key of ['skills', 'experience', 'education']) {
    if (data[key] !== undefined && !Array.isArray(data[key])) problems.push(`data.${key} must be an array`);
  }
  (Array.isArray(data.experience) ? data.experience : []).forEach((job, i) => {
    if (!job || typeof job.title !== 'string') problems.push(`data.experience[${i}].title is required`);
  });
  return problems;
}
